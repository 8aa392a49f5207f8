'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')

const { Dns } = require('../lib/dns')
const { dnsServer } = require('./helpers')

const ZONE = {
    'gmail.com MX': [
        [20, 'alt1.mx.gmail.com'],
        [10, 'mx.gmail.com'],
    ],
    'mx.gmail.com A': ['192.0.2.21'],
    'alt1.mx.gmail.com A': ['192.0.2.22'],
    'plain.example A': ['192.0.2.30'],
    'nomail.example MX': [[0, '']],
    'broken.example MX': 'SERVFAIL',
    '5.113.0.203.in-addr.arpa PTR': ['mta5.example.com'],
}

test('it lists the MX hosts by preference with their addresses', async (t) => {
    const server = await dnsServer(ZONE)
    t.after(() => server.close())
    const dns = new Dns({ nameservers: [server.address], timeoutMs: 1000 })

    const { exchanges } = await dns.exchanges('gmail.com', 4)

    assert.deepEqual(exchanges, [
        { host: 'mx.gmail.com', priority: 10, address: '192.0.2.21' },
        { host: 'alt1.mx.gmail.com', priority: 20, address: '192.0.2.22' },
    ])
})

test('it follows the MX rules: implicit MX, null MX, nothing at all, a failing lookup', async (t) => {
    const server = await dnsServer(ZONE)
    t.after(() => server.close())
    const dns = new Dns({ nameservers: [server.address], timeoutMs: 1000 })

    assert.deepEqual((await dns.exchanges('plain.example', 4)).exchanges, [
        { host: 'plain.example', priority: 0, address: '192.0.2.30' },
    ])
    assert.deepEqual((await dns.exchanges('nomail.example', 4)).error, {
        permanent: true,
        message: 'nomail.example accepts no mail (null MX)',
    })
    assert.deepEqual((await dns.exchanges('nowhere.example', 4)).error, {
        permanent: true,
        message: 'Nowhere to deliver mail to for domain: nowhere.example',
    })
    const broken = await dns.exchanges('broken.example', 4)
    assert.equal(broken.error.permanent, false)
    assert.match(broken.error.message, /MX lookup for broken.example failed: ESERVFAIL/)
})

test('it shares a lookup under way and keeps the answer, but not a failure', async (t) => {
    const server = await dnsServer(ZONE, { delayMs: 50 })
    t.after(() => server.close())
    const dns = new Dns({ nameservers: [server.address], timeoutMs: 1000, cacheMs: 60000 })

    const answers = await Promise.all(Array.from({ length: 50 }, () => dns.exchanges('gmail.com', 4)))
    await dns.exchanges('GMAIL.com', 4)
    await dns.exchanges('broken.example', 4)
    await dns.exchanges('broken.example', 4)

    assert.ok(answers.every((a) => a.exchanges.length === 2))
    assert.deepEqual(server.queries.filter((q) => q === 'gmail.com MX'), ['gmail.com MX'])
    assert.equal(server.queries.filter((q) => q === 'broken.example MX').length, 2)
    assert.equal(dns.lookups, 3)
})

test('it looks up the PTR name of a sending IP once', async (t) => {
    const server = await dnsServer(ZONE)
    t.after(() => server.close())
    const dns = new Dns({ nameservers: [server.address], timeoutMs: 1000 })

    assert.equal(await dns.ptr('203.0.113.5'), 'mta5.example.com')
    assert.equal(await dns.ptr('203.0.113.5'), 'mta5.example.com')
    assert.equal(await dns.ptr('203.0.113.6'), null)
    assert.equal(server.queries.filter((q) => q.endsWith('PTR')).length, 2)
})
