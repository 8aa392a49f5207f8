'use strict'

// The two calls the plugin makes to Warmup: POST /api/v1/routes/ and POST /api/v1/events/.
// Plain node http(s) with keep-alive connections and an overall deadline per request.

const http = require('node:http')
const https = require('node:https')

// The routing API answers at most this many recipients a request.
const MAX_RECIPIENTS = 10000

class ApiError extends Error {
    /** status: the HTTP status, or null when no answer came (refused, timeout, reset). */
    constructor(message, { status = null, body = null } = {}) {
        super(message)
        this.status = status
        this.body = body
    }
}

class Api {
    constructor({ url, token }) {
        this.url = url
        this.token = token
        const base = new URL(url)
        this.transport = base.protocol === 'https:' ? https : http
        this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: 64 })
    }

    /** POST a JSON body; resolves {status, body} for any HTTP answer, rejects with ApiError when
     * no answer arrives within timeoutMs. */
    post(path, payload, timeoutMs) {
        const data = Buffer.from(JSON.stringify(payload))
        const target = new URL(path, `${this.url}/`)
        return new Promise((resolve, reject) => {
            let settled = false
            const done = (fn, value) => {
                if (settled) return
                settled = true
                clearTimeout(timer)
                fn(value)
            }
            const req = this.transport.request(
                target,
                {
                    method: 'POST',
                    agent: this.agent,
                    headers: {
                        Authorization: `Token ${this.token}`,
                        'Content-Type': 'application/json',
                        Accept: 'application/json',
                        'Content-Length': data.length,
                    },
                },
                (res) => {
                    const chunks = []
                    res.on('data', (chunk) => chunks.push(chunk))
                    res.on('error', (err) => done(reject, new ApiError(`${path}: ${err.message}`)))
                    res.on('end', () => {
                        const raw = Buffer.concat(chunks).toString('utf8')
                        let body = raw
                        try {
                            body = JSON.parse(raw)
                        } catch {
                            // an HTML error page from a proxy: keep the text for the log
                        }
                        done(resolve, { status: res.statusCode, body })
                    })
                },
            )
            const timer = setTimeout(() => {
                req.destroy()
                done(reject, new ApiError(`${path}: no answer within ${timeoutMs} ms`))
            }, timeoutMs)
            req.on('error', (err) => done(reject, new ApiError(`${path}: ${err.code || err.message}`)))
            req.end(data)
        })
    }

    /**
     * Routes for these recipients, in their order: [{recipient, provider, ip, pool, reason}].
     * More than 10,000 recipients (a queue item rarely has that many) take several requests.
     * Rejects with ApiError on anything but a complete answer.
     */
    async routes(senderDomain, recipients, timeoutMs) {
        const routes = []
        for (let start = 0; start < recipients.length; start += MAX_RECIPIENTS) {
            const chunk = recipients.slice(start, start + MAX_RECIPIENTS)
            const { status, body } = await this.post(
                '/api/v1/routes/',
                { sender_domain: senderDomain, recipients: chunk },
                timeoutMs,
            )
            if (status !== 200) throw new ApiError(`routes: HTTP ${status}: ${describe(body)}`, { status, body })
            if (!Array.isArray(body?.routes) || body.routes.length !== chunk.length) {
                throw new ApiError(`routes: the answer does not hold one route per recipient`, { status, body })
            }
            routes.push(...body.routes)
        }
        return routes
    }

    /** POST a batch of events; resolves {status, body} (the caller decides what a status means). */
    events(events, timeoutMs) {
        return this.post('/api/v1/events/', { events }, timeoutMs)
    }

    close() {
        this.agent.destroy()
    }
}

function describe(body) {
    if (body && typeof body === 'object' && body.message) return body.message
    return String(body).slice(0, 200)
}

module.exports = { Api, ApiError, MAX_RECIPIENTS, describe }
