'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')

const { Api } = require('../lib/api')
const { RoutesBatcher } = require('../lib/batcher')
const { apiServer } = require('./helpers')

/** A routing API that answers after `ms`, giving each recipient an IP named after its request. */
async function slowRouting(ms) {
    let count = 0
    const server = await apiServer(async (req, body) => {
        count += 1
        const n = count
        await new Promise((resolve) => setTimeout(resolve, ms))
        return {
            status: 200,
            body: { routes: body.recipients.map((r) => ({ recipient: r, ip: `203.0.113.${n}`, reason: 'warming' })) },
        }
    })
    return server
}

function batcherFor(server, concurrency, timeoutMs = 2000) {
    const api = new Api({ url: server.url, token: 'k' })
    const batcher = new RoutesBatcher({ fetch: (d, r) => api.routes(d, r, timeoutMs), concurrency })
    batcher.api = api
    return batcher
}

test('it sends at once when a slot is free', async (t) => {
    const server = await slowRouting(0)
    const batcher = batcherFor(server, 2)
    t.after(() => (batcher.api.close(), server.close()))

    const routes = await batcher.route('acme.example', ['ann@gmail.com'])

    assert.deepEqual(routes.map((r) => r.recipient), ['ann@gmail.com'])
    assert.equal(server.requests.length, 1)
})

test('it lets the items that wait share one request, each getting its own routes', async (t) => {
    const server = await slowRouting(100)
    const batcher = batcherFor(server, 1)
    t.after(() => (batcher.api.close(), server.close()))

    const answers = await Promise.all([
        batcher.route('acme.example', ['a1@gmail.com']),
        batcher.route('acme.example', ['b1@gmail.com', 'b2@gmail.com']),
        batcher.route('other.example', ['c1@gmail.com']),
        batcher.route('acme.example', ['d1@gmail.com']),
    ])

    // The first went alone; the waiting acme items shared the next request; other.example,
    // another sender domain, had its own.
    assert.deepEqual(
        server.requests.map((r) => [r.body.sender_domain, r.body.recipients]),
        [
            ['acme.example', ['a1@gmail.com']],
            ['acme.example', ['b1@gmail.com', 'b2@gmail.com', 'd1@gmail.com']],
            ['other.example', ['c1@gmail.com']],
        ],
    )
    assert.deepEqual(
        answers.map((routes) => routes.map((r) => [r.recipient, r.ip])),
        [
            [['a1@gmail.com', '203.0.113.1']],
            [
                ['b1@gmail.com', '203.0.113.2'],
                ['b2@gmail.com', '203.0.113.2'],
            ],
            [['c1@gmail.com', '203.0.113.3']],
            [['d1@gmail.com', '203.0.113.2']],
        ],
    )
})

test('it fails every item of a request that fails', async (t) => {
    const server = await slowRouting(300)
    const batcher = batcherFor(server, 1, 100)
    t.after(() => (batcher.api.close(), server.close()))

    const results = await Promise.allSettled([
        batcher.route('acme.example', ['a@gmail.com']),
        batcher.route('acme.example', ['b@gmail.com']),
        batcher.route('acme.example', ['c@gmail.com']),
    ])

    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected'])
    assert.match(results[1].reason.message, /no answer within 100 ms/)
    assert.equal(batcher.requests, 2)
})
