'use strict'

const assert = require('node:assert/strict')
const path = require('node:path')
const { test } = require('node:test')

const { parse } = require('../lib/config')

const minimal = { api: { url: 'https://warmup.example.com/', token: 'k' } }

test('it fills in the documented defaults', () => {
    const cfg = parse(minimal, '/etc/haraka')
    assert.equal(cfg.url, 'https://warmup.example.com')
    assert.equal(cfg.routesTimeoutMs, 2000)
    assert.equal(cfg.eventsTimeoutMs, 10000)
    assert.equal(cfg.policy, 'defer')
    assert.equal(cfg.retryAfterSeconds, 60)
    assert.equal(cfg.batchSize, 500)
    assert.equal(cfg.batchWaitMs, 1000)
    assert.equal(cfg.spoolDir, path.resolve('/etc/haraka', 'warmup-spool'))
    assert.deepEqual(cfg.nameservers, [])
    assert.equal(cfg.mxPort, 25)
    assert.deepEqual(cfg.helo, {})
})

test('it reads every setting', () => {
    const cfg = parse(
        {
            api: { url: 'http://127.0.0.1:8000', token: 'k', routes_timeout: 0.5, events_timeout: 3 },
            routing: { no_route: 'fallback', retry_after: 30, fallback_ip: '203.0.113.9', fallback_helo: 'mta9.example.com' },
            events: { batch_size: 100, batch_wait: 0.25, spool_dir: '/var/spool/warmup', retry_min: 2, retry_max: 30 },
            dns: { nameservers: '127.0.0.1:5353, [::1]:53, 10.0.0.1', timeout: 1, mx_port: 2525 },
            helo: { '203.0.113.5': 'mta5.example.com' },
        },
        '/etc/haraka',
    )
    assert.equal(cfg.routesTimeoutMs, 500)
    assert.equal(cfg.policy, 'fallback')
    assert.equal(cfg.fallbackIp, '203.0.113.9')
    assert.equal(cfg.fallbackHelo, 'mta9.example.com')
    assert.equal(cfg.batchWaitMs, 250)
    assert.equal(cfg.spoolDir, '/var/spool/warmup')
    assert.deepEqual(cfg.nameservers, ['127.0.0.1:5353', '[::1]:53', '10.0.0.1'])
    assert.equal(cfg.mxPort, 2525)
    assert.deepEqual(cfg.helo, { '203.0.113.5': 'mta5.example.com' })
})

test('it names the setting at fault', () => {
    const cases = [
        [{}, /\[api\] url: Set Warmup's base URL/],
        [{ api: { url: 'ftp://x', token: 'k' } }, /\[api\] url: Use an http/],
        [{ api: { url: 'https://x' } }, /\[api\] token: Set the pipeline credential/],
        [{ ...minimal, routing: { no_route: 'drop' } }, /\[routing\] no_route: "drop" is not a policy; use defer or fallback/],
        [{ ...minimal, routing: { no_route: 'fallback' } }, /\[routing\] fallback_ip: no_route=fallback needs/],
        [{ ...minimal, routing: { fallback_ip: 'mta.example.com' } }, /\[routing\] fallback_ip: "mta.example.com" is not an IP/],
        [{ ...minimal, events: { batch_size: 20000 } }, /\[events\] batch_size: the events API takes at most 10000/],
        [{ ...minimal, events: { batch_size: 'lots' } }, /\[events\] batch_size: "lots" is not a whole number/],
        [{ ...minimal, dns: { nameservers: 'ns1.example.com' } }, /\[dns\] nameservers: "ns1.example.com" is not an IP/],
        [{ ...minimal, helo: { 'mta.example.com': 'x' } }, /\[helo\] mta.example.com: each key is a sending IP/],
    ]
    for (const [ini, message] of cases) {
        assert.throws(() => parse(ini, '/'), message)
    }
})

test('it limits routing requests in flight to 2 unless told otherwise', () => {
    assert.equal(parse(minimal, '/').routesConcurrency, 1)
    assert.equal(parse({ ...minimal, api: { ...minimal.api, routes_concurrency: 16 } }, '/').routesConcurrency, 16)
    assert.throws(() => parse({ ...minimal, api: { ...minimal.api, routes_concurrency: 0 } }, '/'), /\[api\] routes_concurrency: 0 is not a whole number ≥ 1/)
})
