'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')

const { plan } = require('../lib/routing')

const recipients = ['ann@gmail.com', 'bob@gmail.com', 'cy@gmail.com']

function route(recipient, ip, reason = 'warming') {
    return { recipient, provider: 'google', ip, pool: ip ? 'acme' : null, reason, detail: ip ? null : 'caps reached' }
}

test('it keeps a queue item whole when every recipient got the same IP', () => {
    const routes = recipients.map((r) => route(r, '203.0.113.1'))
    const result = plan({ recipients, routes, policy: 'defer' })
    assert.deepEqual(result.groups, [{ ip: '203.0.113.1', fallback: false, indices: [0, 1, 2] }])
    assert.deepEqual(result.deferred, [])
    assert.deepEqual(result.problems, [])
})

test('it groups recipients by the IP routing chose for each', () => {
    const routes = [route(recipients[0], '203.0.113.1'), route(recipients[1], '203.0.113.2', 'overflow'), route(recipients[2], '203.0.113.1')]
    const result = plan({ recipients, routes, policy: 'defer' })
    assert.deepEqual(result.groups, [
        { ip: '203.0.113.1', fallback: false, indices: [0, 2] },
        { ip: '203.0.113.2', fallback: false, indices: [1] },
    ])
})

test('it defers recipients that got no route, by default', () => {
    const routes = [route(recipients[0], '203.0.113.1'), route(recipients[1], null, 'no_route'), route(recipients[2], null, 'no_route')]
    const result = plan({ recipients, routes, policy: 'defer' })
    assert.deepEqual(result.groups, [{ ip: '203.0.113.1', fallback: false, indices: [0] }])
    assert.deepEqual(result.deferred, [1, 2])
    assert.deepEqual(result.problems, ['no_route for google: caps reached'])
})

test('it sends recipients without a route from the fallback IP when told to', () => {
    const routes = [route(recipients[0], '203.0.113.1'), route(recipients[1], null, 'no_route'), route(recipients[2], '203.0.113.9')]
    const result = plan({ recipients, routes, policy: 'fallback', fallbackIp: '203.0.113.9' })
    // The fallback group stays apart from routing's own choice of the same IP: its events say
    // where the recipient went, and the log says why.
    assert.deepEqual(result.groups, [
        { ip: '203.0.113.1', fallback: false, indices: [0] },
        { ip: '203.0.113.9', fallback: true, indices: [1] },
        { ip: '203.0.113.9', fallback: false, indices: [2] },
    ])
    assert.deepEqual(result.deferred, [])
})

test('it applies the policy to every recipient when routing cannot be reached', () => {
    const deferred = plan({ recipients, routes: null, error: 'ECONNREFUSED', policy: 'defer' })
    assert.deepEqual(deferred.groups, [])
    assert.deepEqual(deferred.deferred, [0, 1, 2])
    assert.deepEqual(deferred.problems, ['routing unavailable (ECONNREFUSED)'])

    const fallback = plan({ recipients, routes: null, error: 'timeout', policy: 'fallback', fallbackIp: '203.0.113.9' })
    assert.deepEqual(fallback.groups, [{ ip: '203.0.113.9', fallback: true, indices: [0, 1, 2] }])
})

test('it never sends from an answer that does not match the recipients', () => {
    const shifted = [route('someone@else.com', '203.0.113.1'), ...recipients.slice(1).map((r) => route(r, '203.0.113.1'))]
    const short = recipients.slice(1).map((r) => route(r, '203.0.113.1'))
    const garbage = recipients.map((r) => route(r, 'not-an-ip'))
    for (const routes of [shifted, short, garbage]) {
        const result = plan({ recipients, routes, policy: 'defer' })
        assert.deepEqual(result.groups, [])
        assert.deepEqual(result.deferred, [0, 1, 2])
        assert.match(result.problems[0], /^routing unavailable \(routing answered/)
    }
})

test('it matches recipients whatever their case', () => {
    const routes = recipients.map((r) => route(r.toUpperCase(), '203.0.113.1'))
    assert.equal(plan({ recipients, routes, policy: 'defer' }).groups.length, 1)
})
