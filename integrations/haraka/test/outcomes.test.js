'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')

const { eventId, events, reply, attemptId } = require('../lib/outcomes')

const sending = { uuid: '5F0C-1.1', attempt: 'mabc123', ip: '203.0.113.1' }
const now = new Date('2026-11-23T10:15:00.000Z')

test('it gives one stable id per queue item, attempt and recipient', () => {
    const id = eventId('5F0C-1.1', 'mabc123', 'Ann@Gmail.com')
    assert.equal(id, eventId('5F0C-1.1', 'mabc123', 'ann@gmail.com'))
    assert.notEqual(id, eventId('5F0C-1.1', 'mdef456', 'ann@gmail.com'))
    assert.notEqual(id, eventId('5F0C-1.1', 'mabc123', 'bob@gmail.com'))
    assert.ok(id.length <= 200)
    assert.notEqual(attemptId(), attemptId())
})

test('it reports the remote reply Haraka saw', () => {
    // Haraka splits off one-digit enhanced codes itself…
    assert.deepEqual(reply({ dsn_smtp_code: '550', dsn_smtp_extc: '5.1.1', dsn_smtp_response: '<x@yahoo.com>: User unknown' }), {
        smtp_code: 550,
        enhanced_status: '5.1.1',
        response: '550 5.1.1 <x@yahoo.com>: User unknown',
    })
    // …and leaves Gmail's 4.7.28 and Microsoft's 4.7.500 at the start of the text.
    assert.deepEqual(reply({ dsn_smtp_code: '421', dsn_smtp_response: '4.7.28 [203.0.113.1 15] Our system has detected…' }), {
        smtp_code: 421,
        enhanced_status: '4.7.28',
        response: '421 4.7.28 [203.0.113.1 15] Our system has detected…',
    })
    assert.equal(reply({ dsn_smtp_code: '451', dsn_smtp_response: '4.7.500 Server busy (S3140)' }).enhanced_status, '4.7.500')
    // A status of another class than the code is not taken for one.
    assert.equal(reply({ dsn_smtp_code: '421', dsn_smtp_response: '5.7.1 odd' }).enhanced_status, '')
})

test('it reports an outcome without a remote reply with the reason and no code', () => {
    assert.deepEqual(reply({}, 'Tried all MXs'), { smtp_code: null, enhanced_status: '', response: 'Tried all MXs' })
})

test('it makes one event per recipient with everything the events API needs', () => {
    const rcpts = [
        { address: 'ann@gmail.com', dsn_smtp_code: '421', dsn_smtp_response: '4.7.28 slow down' },
        { address: 'postmaster' }, // no domain: nothing Warmup could count
    ]
    const out = events({ type: 'deferred', recipients: rcpts, sending, senderDomain: 'acme.example', now })
    assert.deepEqual(out, [
        {
            id: eventId(sending.uuid, sending.attempt, 'ann@gmail.com'),
            type: 'deferred',
            ip: '203.0.113.1',
            sender_domain: 'acme.example',
            recipient: 'ann@gmail.com',
            smtp_code: 421,
            enhanced_status: '4.7.28',
            response: '421 4.7.28 slow down',
            timestamp: '2026-11-23T10:15:00.000Z',
        },
    ])
})

test('it reports a delivery with 250 and the reply text', () => {
    const [event] = events({
        type: 'delivered',
        recipients: [{ address: 'ann@gmail.com' }],
        sending,
        senderDomain: 'acme.example',
        now,
        delivered: 'OK 1700000000 a1si123 - gsmtp',
    })
    assert.equal(event.smtp_code, 250)
    assert.equal(event.response, '250 OK 1700000000 a1si123 - gsmtp')
})

test('it keeps a reply within the API limit', () => {
    const long = reply({ dsn_smtp_code: '550', dsn_smtp_response: 'x'.repeat(20000) })
    assert.equal(long.response.length, 10000)
})
