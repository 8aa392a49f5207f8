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

/**
 * A DNS server on 127.0.0.1 (UDP) answering from `zone`: {'name TYPE': value} with MX values
 * [[preference, host], …], A values ['192.0.2.1', …], PTR values ['host'], or the strings
 * 'NXDOMAIN' / 'SERVFAIL'. Names without an entry get an empty answer. `delayMs` holds every
 * answer back; `queries` lists what was asked.
 */
async function dnsServer(zone, { delayMs = 0 } = {}) {
    const dgram = require('node:dgram')
    const TYPES = { 1: 'A', 12: 'PTR', 15: 'MX', 28: 'AAAA' }
    const socket = dgram.createSocket('udp4')
    const server = { queries: [], address: '' }
    const encodeName = (name) => {
        const parts = name.replace(/\.$/, '').split('.').filter(Boolean)
        const labels = parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)]))
        return Buffer.concat([...labels, Buffer.from([0])])
    }
    socket.on('message', (msg, rinfo) => {
        let offset = 12
        const labels = []
        while (msg[offset]) {
            labels.push(msg.subarray(offset + 1, offset + 1 + msg[offset]).toString())
            offset += msg[offset] + 1
        }
        const question = msg.subarray(12, offset + 5)
        const type = TYPES[msg.readUInt16BE(offset + 1)] || 'OTHER'
        const name = labels.join('.').toLowerCase()
        server.queries.push(`${name} ${type}`)
        const value = zone[`${name} ${type}`]
        const nameExists = Object.keys(zone).some((k) => k.startsWith(`${name} `))
        let rcode = 0
        const answers = []
        if (value === 'SERVFAIL') rcode = 2
        else if (value === 'NXDOMAIN' || (!value && !nameExists)) rcode = 3
        else if (value) {
            for (const item of value) {
                let rdata
                if (type === 'MX') rdata = Buffer.concat([Buffer.from([item[0] >> 8, item[0] & 255]), encodeName(item[1])])
                else if (type === 'A') rdata = Buffer.from(item.split('.').map(Number))
                else rdata = encodeName(item)
                const head = Buffer.alloc(10)
                head.writeUInt16BE(msg.readUInt16BE(offset + 1), 0)
                head.writeUInt16BE(1, 2)
                head.writeUInt32BE(300, 4)
                head.writeUInt16BE(rdata.length, 8)
                answers.push(Buffer.concat([Buffer.from([0xc0, 12]), head, rdata]))
            }
        }
        const header = Buffer.alloc(12)
        header.writeUInt16BE(msg.readUInt16BE(0), 0)
        header.writeUInt16BE(0x8180 | rcode, 2)
        header.writeUInt16BE(1, 4)
        header.writeUInt16BE(answers.length, 6)
        const reply = Buffer.concat([header, question, ...answers])
        setTimeout(() => socket.send(reply, rinfo.port, rinfo.address), delayMs)
    })
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve))
    server.address = `127.0.0.1:${socket.address().port}`
    server.close = () => new Promise((resolve) => socket.close(resolve))
    return server
}

module.exports.dnsServer = dnsServer
