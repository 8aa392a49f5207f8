'use strict'

const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { test } = require('node:test')

const { Api } = require('../lib/api')
const { Spool } = require('../lib/spool')
const { apiServer, quietLog, tempDir, until } = require('./helpers')

function event(n) {
    return {
        id: `q-${n}`,
        type: 'delivered',
        ip: '203.0.113.1',
        sender_domain: 'acme.example',
        recipient: `r${n}@gmail.com`,
        smtp_code: 250,
        enhanced_status: '',
        response: '250 OK',
        timestamp: '2026-11-23T10:15:00.000Z',
    }
}

/** A fake Warmup that stores events by id, as the real one does (idempotent). */
async function warmup(answer = () => null) {
    const stored = new Map()
    const server = await apiServer((req, body) => {
        const special = answer(body)
        if (special) return special
        let duplicates = 0
        for (const e of body.events) {
            if (stored.has(e.id)) duplicates += 1
            stored.set(e.id, e)
        }
        const received = body.events.length
        return { status: 200, body: { received, stored: received - duplicates, duplicates } }
    })
    server.stored = stored
    return server
}

function spoolFor(server, dir, options = {}) {
    const api = new Api({ url: server.url, token: 'k' })
    const spool = new Spool({
        dir,
        send: (events) => api.events(events, 1000),
        log: quietLog,
        batchSize: 3,
        batchWaitMs: 50,
        retryMinMs: 20,
        retryMaxMs: 100,
        ...options,
    })
    spool.api = api
    return spool
}

function segments(dir) {
    return fs.readdirSync(dir).filter((n) => /\.(open|ready)$/.test(n))
}

test('it writes events to disk before sending them, and deletes them once accepted', async (t) => {
    const server = await warmup()
    const dir = tempDir()
    const spool = spoolFor(server, dir, { batchWaitMs: 10000 }).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([event(1)])
    const [name] = segments(dir)
    assert.match(name, /\.open$/)
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')), event(1))

    spool.add([event(2), event(3), event(4)]) // fills the batch of 3: one request now
    await until(() => server.stored.size === 3, 'the first batch')
    assert.deepEqual(server.requests[0].body.events.map((e) => e.id), ['q-1', 'q-2', 'q-3'])
    // The accepted segment goes once the answer is back; the fourth event waits for its batch.
    await until(() => spool.pending() === 1, 'the accepted segment to go')
    assert.equal(server.requests.length, 1)
})

test('it sends a partial batch once its first event is batch_wait old', async (t) => {
    const server = await warmup()
    const dir = tempDir()
    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([event(1)])
    await until(() => server.stored.size === 1, 'the timed batch')
    await until(() => segments(dir).length === 0, 'the segment to go')
})

test('it keeps everything through an outage and sends each event once after it', async (t) => {
    const server = await warmup()
    const port = server.port
    await server.close()
    const dir = tempDir()
    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([1, 2, 3, 4, 5].map(event))
    await until(() => spool.backoffMs > 0, 'a failed send')
    assert.equal(spool.pending(), 5)

    await server.listen(port)
    await until(() => server.stored.size === 5, 'the events after the outage')
    const sent = server.requests.flatMap((r) => r.body.events.map((e) => e.id))
    assert.deepEqual(sent, ['q-1', 'q-2', 'q-3', 'q-4', 'q-5'])
    await until(() => spool.pending() === 0, 'an empty spool')
})

test('it sends a batch again with the same ids when the answer is lost', async (t) => {
    let lose = 1
    const server = await warmup((body) => {
        if (!lose) return null
        lose -= 1
        for (const e of body.events) server.stored.set(e.id, e) // stored, then the answer is lost
        return { status: 502, body: { message: 'bad gateway' } }
    })
    const dir = tempDir()
    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([1, 2, 3].map(event))
    await until(() => server.requests.length === 2, 'the second try')
    assert.deepEqual(server.requests[0].body, server.requests[1].body)
    await until(() => spool.pending() === 0, 'an empty spool')
    assert.equal(server.stored.size, 3)
})

test('it sets aside an event Warmup refuses and sends the rest', async (t) => {
    const server = await warmup((body) => {
        const bad = body.events.findIndex((e) => e.id === 'q-2')
        if (bad < 0) return null
        return { status: 400, body: { message: `events[${bad}].ip: 'x' is not an IPv4 or IPv6 address.`, field: `events[${bad}].ip` } }
    })
    const dir = tempDir()
    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([1, 2, 3].map(event))
    await until(() => server.stored.size === 2, 'the valid events')
    assert.deepEqual([...server.stored.keys()], ['q-1', 'q-3'])
    const [rejected] = fs.readdirSync(path.join(dir, 'rejected'))
    const line = JSON.parse(fs.readFileSync(path.join(dir, 'rejected', rejected), 'utf8'))
    assert.equal(line.event.id, 'q-2')
    assert.match(line.error, /events\[1\]\.ip/)
})

test('it keeps events when the token is refused', async (t) => {
    const server = await warmup(() => ({ status: 401, body: { detail: 'Invalid token.' } }))
    const dir = tempDir()
    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    spool.add([event(1)])
    await until(() => server.requests.length >= 2, 'a retry')
    assert.equal(spool.pending(), 1)
})

test('it takes over the segments of a process that is gone', async (t) => {
    const server = await warmup()
    const dir = tempDir()
    // What a stopped Haraka left: a closed segment and the one it was appending to, whose last
    // line was cut short by the crash.
    const gone = '999999999.abc'
    fs.writeFileSync(path.join(dir, `0001700000000000-${gone}-1.ready`), `${JSON.stringify(event(1))}\n`)
    fs.writeFileSync(path.join(dir, `0001700000000001-${gone}-2.open`), `${JSON.stringify(event(2))}\n{"id": "q-3", "ty`)
    fs.writeFileSync(path.join(dir, `${gone}.alive`), '999999999\n')
    // An earlier process that had our pid (a container restarts with the same pid): gone too.
    fs.writeFileSync(path.join(dir, `0001700000000002-${process.pid}.earlier-1.ready`), `${JSON.stringify(event(3))}\n`)
    // A live process (our parent) with a fresh heartbeat: its segment is left alone.
    const other = `${process.ppid}.live`
    fs.writeFileSync(path.join(dir, `${other}.alive`), `${process.ppid}\n`)
    fs.writeFileSync(path.join(dir, `0001700000000003-${other}-1.ready`), `${JSON.stringify(event(9))}\n`)

    const spool = spoolFor(server, dir).start()
    t.after(() => (spool.stop(), spool.api.close(), server.close()))

    await until(() => server.stored.size === 3, 'the adopted events')
    assert.deepEqual([...server.stored.keys()].sort(), ['q-1', 'q-2', 'q-3'])
    assert.ok(!fs.existsSync(path.join(dir, `${gone}.alive`)))
    assert.ok(fs.existsSync(path.join(dir, `0001700000000003-${other}-1.ready`)))
})
