'use strict'

// Delivery outcomes → events for POST /api/v1/events/, as plain data.
//
// Event ids are stable: one id per (queue item, delivery attempt, recipient). The spool stores
// each event with its id before it is sent, so a batch re-sent after a lost answer, an API outage
// or a Haraka restart carries the same ids and Warmup counts it once. A new delivery attempt of the
// same recipient (a retry after a deferral) is a new outcome with a new id.

const crypto = require('node:crypto')

// The events API's limit on `response`.
const MAX_RESPONSE = 10000
// "4.7.28 …": Haraka only splits off enhanced codes with one digit per part, so Gmail's 4.7.28
// stays at the start of the reply text; read it from there.
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/

function attemptId(now = Date.now()) {
    return `${now.toString(36)}${crypto.randomBytes(3).toString('hex')}`
}

function eventId(uuid, attempt, recipient) {
    const digest = crypto.createHash('sha256').update(recipient.toLowerCase()).digest('base64url')
    return `${uuid}/${attempt}/${digest.slice(0, 12)}`
}

/** {smtp_code, enhanced_status, response} from the fields Haraka sets on a recipient after a
 * remote reply (dsn_smtp_code, dsn_smtp_extc, dsn_smtp_response); `otherwise` describes an
 * outcome without a reply (connection refused, DNS failure). */
function reply(rcpt, otherwise = '') {
    const code = Number.parseInt(rcpt.dsn_smtp_code, 10)
    if (!Number.isInteger(code) || code < 200 || code > 599) {
        return { smtp_code: null, enhanced_status: '', response: String(otherwise).slice(0, MAX_RESPONSE) }
    }
    const text = String(rcpt.dsn_smtp_response || '').trim()
    let status = rcpt.dsn_smtp_extc ? String(rcpt.dsn_smtp_extc) : ''
    if (!status) {
        const match = ENHANCED.exec(text)
        if (match && match[1][0] === String(code)[0]) status = match[1]
    }
    const response = [String(code), rcpt.dsn_smtp_extc || '', text].filter(Boolean).join(' ')
    return { smtp_code: code, enhanced_status: status, response: response.slice(0, MAX_RESPONSE) }
}

/**
 * One event per recipient.
 * @param {object} args
 * @param {'delivered'|'deferred'|'bounced'} args.type
 * @param {object[]} args.recipients Haraka Address objects (with their dsn_* fields)
 * @param {{uuid: string, attempt: string, ip: string}} args.sending the queue item's uuid, the
 *   delivery attempt and the IP it left from
 * @param {string} args.senderDomain
 * @param {Date} [args.now]
 * @param {string} [args.otherwise] the text for recipients without a remote reply
 * @param {string} [args.delivered] for delivered: the remote's reply text to the end of DATA
 */
function events({ type, recipients, sending, senderDomain, now = new Date(), otherwise = '', delivered = '' }) {
    const timestamp = now.toISOString()
    const out = []
    for (const rcpt of recipients) {
        const recipient = String(rcpt.address || '')
        if (!recipient.includes('@')) continue // nothing Warmup could count (e.g. a bare "postmaster")
        const fields =
            type === 'delivered'
                ? // Haraka calls `delivered` only after a 2xx to the end of DATA and passes the
                  // reply's text without its code: 250 is the code every server sends there.
                  { smtp_code: 250, enhanced_status: '', response: `250 ${delivered}`.trim().slice(0, MAX_RESPONSE) }
                : reply(rcpt, otherwise)
        out.push({
            id: eventId(sending.uuid, sending.attempt, recipient),
            type,
            ip: sending.ip,
            sender_domain: senderDomain,
            recipient,
            ...fields,
            timestamp,
        })
    }
    return out
}

module.exports = { attemptId, eventId, reply, events, MAX_RESPONSE }
