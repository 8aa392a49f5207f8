'use strict'

// A real HTTP server on 127.0.0.1 standing in for Warmup's API in the unit tests.

const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')

/**
 * handler(req, body) → {status, body} (or a Promise of it); every request is kept in `requests`
 * as {path, headers, body}. `listen(port)` starts it again on the same port after `close()`.
 */
async function apiServer(handler) {
    const server = {
        requests: [],
        port: 0,
        http: null,
        url: '',
        async listen(port = 0) {
            this.http = http.createServer((req, res) => {
                const chunks = []
                req.on('data', (c) => chunks.push(c))
                req.on('end', async () => {
                    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : null
                    this.requests.push({ path: req.url, headers: req.headers, body })
                    const answer = await handler(req, body)
                    if (answer === null) return // never answer: the client's deadline must act
                    res.writeHead(answer.status, { 'Content-Type': 'application/json' })
                    res.end(JSON.stringify(answer.body ?? {}))
                })
            })
            await new Promise((resolve) => this.http.listen(port, '127.0.0.1', resolve))
            this.port = this.http.address().port
            this.url = `http://127.0.0.1:${this.port}`
            return this
        },
        async close() {
            if (!this.http) return
            this.http.closeAllConnections()
            await new Promise((resolve) => this.http.close(resolve))
            this.http = null
        },
    }
    return server.listen()
}

function tempDir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'warmup-plugin-'))
}

/** Poll until check() is truthy, or fail after `ms`. */
async function until(check, what, ms = 5000) {
    const deadline = Date.now() + ms
    for (;;) {
        const value = await check()
        if (value) return value
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await new Promise((resolve) => setTimeout(resolve, 10))
    }
}

const quietLog = { info() {}, warn() {}, error() {} }

module.exports = { apiServer, tempDir, until, quietLog }
