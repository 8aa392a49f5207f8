'use strict'

// The outcome journal: every event is written to disk the moment Haraka reports the outcome, and
// deleted only after Warmup has accepted it. So no outcome is lost when the API is down or Haraka
// restarts, and none is counted twice: a batch re-sent after a lost answer carries the same event
// ids, which Warmup stores once.
//
// Layout of the spool folder:
//
//   <created>-<instance>-<seq>.open    the segment this process appends to (one JSON event a line)
//   <created>-<instance>-<seq>.ready   closed segments, sent oldest first
//   <instance>.alive                   the process's heartbeat (touched every few seconds)
//   rejected/<day>.jsonl               events Warmup refused as invalid, with its error message
//
// A segment closes when it holds batch_size events or its first event is batch_wait old; a
// request carries one or more closed segments, at most batch_size events. Each Haraka process
// (cluster workers included) has its own instance id = "<pid>.<start time>"; segments of an
// instance that is gone (its pid has exited, or its heartbeat is stale) are adopted by a live
// one and sent — after a restart, by the new process.

const fs = require('node:fs')
const path = require('node:path')

const { describe } = require('./api')

const SEGMENT = /^(\d+)-([0-9a-z.]+)-([0-9a-z]+)\.(open|ready)$/
const HEARTBEAT = /^([0-9a-z.]+)\.alive$/

class Spool {
    /**
     * @param {object} o
     * @param {string} o.dir the spool folder (created if missing)
     * @param {(events: object[]) => Promise<{status: number, body: any}>} o.send posts a batch;
     *   rejects when no answer arrives
     * @param {object} o.log {info, warn, error}(message)
     */
    constructor({
        dir,
        send,
        log,
        batchSize = 500,
        batchWaitMs = 1000,
        retryMinMs = 1000,
        retryMaxMs = 60000,
        heartbeatMs = 5000,
        staleMs = 60000,
    }) {
        this.dir = dir
        this.rejectedDir = path.join(dir, 'rejected')
        this.send = send
        this.log = log
        this.configure({ batchSize, batchWaitMs, retryMinMs, retryMaxMs })
        this.heartbeatMs = heartbeatMs
        this.staleMs = staleMs
        this.instance = `${process.pid}.${Date.now().toString(36)}`
        this.seq = 0
        this.fd = null
        this.openPath = null
        this.openCount = 0
        this.openTimer = null
        this.sending = false
        this.again = false
        this.retryTimer = null
        this.backoffMs = 0
        this.heartbeatTimer = null
        this.stopped = false
        this.sent = 0
    }

    /** Batch and retry settings can change on a config reload. */
    configure({ batchSize, batchWaitMs, retryMinMs, retryMaxMs }) {
        Object.assign(this, { batchSize, batchWaitMs, retryMinMs, retryMaxMs })
    }

    start() {
        fs.mkdirSync(this.rejectedDir, { recursive: true })
        this.beat()
        this.heartbeatTimer = setInterval(() => {
            this.beat()
            if (this.adopt()) this.kick()
        }, this.heartbeatMs)
        this.heartbeatTimer.unref()
        this.adopt()
        this.kick()
        return this
    }

    /** Journal these events now (synchronously: when this returns they are on disk). */
    add(events) {
        let rest = events
        while (rest.length) {
            if (this.fd === null) this.openSegment()
            const room = this.batchSize - this.openCount
            if (room <= 0) {
                this.close() // batch_size was lowered by a config reload
                continue
            }
            const part = rest.slice(0, room)
            rest = rest.slice(room)
            fs.writeSync(this.fd, part.map((e) => `${JSON.stringify(e)}\n`).join(''))
            this.openCount += part.length
            if (this.openCount >= this.batchSize) this.close()
        }
    }

    /** Close the open segment now and send what is ready. */
    flush() {
        this.close()
        this.kick()
    }

    stop() {
        this.stopped = true
        this.close()
        clearInterval(this.heartbeatTimer)
        clearTimeout(this.retryTimer)
        this.retryTimer = null
        // Our closed segments are adopted at once by whichever process runs next.
        fs.rmSync(this.heartbeatPath(this.instance), { force: true })
    }

    /** Events on disk not yet accepted by Warmup (segments of this instance). */
    pending() {
        let count = 0
        for (const name of this.ownSegments(true)) count += this.read(path.join(this.dir, name)).length
        return count
    }

    // --- segments ---------------------------------------------------------------------------

    openSegment() {
        this.seq += 1
        const name = `${String(Date.now()).padStart(13, '0')}-${this.instance}-${this.seq.toString(36)}.open`
        this.openPath = path.join(this.dir, name)
        this.fd = fs.openSync(this.openPath, 'a')
        this.openCount = 0
        this.openTimer = setTimeout(() => this.flush(), this.batchWaitMs)
        this.openTimer.unref()
    }

    close() {
        if (this.fd === null) return
        clearTimeout(this.openTimer)
        fs.fsyncSync(this.fd)
        fs.closeSync(this.fd)
        this.fd = null
        fs.renameSync(this.openPath, this.openPath.replace(/\.open$/, '.ready'))
        this.openPath = null
        if (!this.stopped) this.kick()
    }

    ownSegments(includeOpen = false) {
        return fs
            .readdirSync(this.dir)
            .filter((name) => {
                const m = SEGMENT.exec(name)
                return m && m[2] === this.instance && (m[4] === 'ready' || includeOpen)
            })
            .sort()
    }

    read(file) {
        let text
        try {
            text = fs.readFileSync(file, 'utf8')
        } catch (err) {
            if (err.code === 'ENOENT') return []
            throw err
        }
        const events = []
        for (const line of text.split('\n')) {
            if (!line) continue
            try {
                events.push(JSON.parse(line))
            } catch {
                // Only the last line of a segment whose writer died mid-write can be cut short.
                this.log.error(`events: skipping a damaged line in ${path.basename(file)}: ${line.slice(0, 200)}`)
            }
        }
        return events
    }

    // --- sending ----------------------------------------------------------------------------

    kick() {
        if (this.retryTimer || this.stopped) return
        if (this.sending) {
            // A segment closed while a send was under way: look again when it is done.
            this.again = true
            return
        }
        this.sending = true
        this.again = false
        this.sendAll()
            .catch((err) => {
                this.log.error(`events: sending failed unexpectedly: ${err.stack || err}`)
                this.retryLater(String(err))
            })
            .finally(() => {
                this.sending = false
                if (this.again) this.kick()
            })
    }

    /** The oldest ready segments of this instance, up to batch_size events. */
    collect() {
        const parts = []
        const events = []
        for (const name of this.ownSegments()) {
            const file = path.join(this.dir, name)
            const lines = this.read(file)
            if (events.length && events.length + lines.length > this.batchSize) break
            parts.push({ file, count: lines.length })
            events.push(...lines)
        }
        return parts.length ? { parts, events } : null
    }

    async sendAll() {
        for (;;) {
            if (this.stopped) return
            const batch = this.collect()
            if (!batch) return
            if (!batch.events.length) {
                for (const part of batch.parts) fs.rmSync(part.file, { force: true })
                continue
            }
            let answer
            try {
                answer = await this.send(batch.events)
            } catch (err) {
                return this.retryLater(err.message)
            }
            if (answer.status >= 200 && answer.status < 300) {
                for (const part of batch.parts) fs.rmSync(part.file, { force: true })
                this.sent += batch.events.length
                if (this.backoffMs) this.log.info(`events: Warmup accepts events again; sent ${batch.events.length}`)
                this.backoffMs = 0
                continue
            }
            if (answer.status === 400) {
                this.reject(batch, answer.body)
                continue
            }
            // 401/403 (a wrong token), 429, 5xx: keep everything and try again later.
            return this.retryLater(`HTTP ${answer.status}: ${describe(answer.body)}`)
        }
    }

    retryLater(why) {
        if (this.stopped) return
        this.backoffMs = this.backoffMs ? Math.min(this.backoffMs * 2, this.retryMaxMs) : this.retryMinMs
        this.log.warn(
            `events: cannot send to Warmup (${why}); the events stay in ${this.dir}, ` +
                `next try in ${(this.backoffMs / 1000).toFixed(1)} s`,
        )
        this.retryTimer = setTimeout(() => {
            this.retryTimer = null
            this.kick()
        }, this.backoffMs)
        this.retryTimer.unref()
    }

    /** Warmup refused the batch as invalid (all or nothing). Its error names the first bad event
     * (`events[3].type`): set that one aside in rejected/ and send the rest again. */
    reject(batch, body) {
        const message = describe(body)
        const match = /^events\[(\d+)\]/.exec(body?.field || '')
        const index = match ? Number(match[1]) : -1
        const day = new Date().toISOString().slice(0, 10)
        const rejected = path.join(this.rejectedDir, `${day}.jsonl`)
        if (index < 0 || index >= batch.events.length) {
            // The error names no event: set the whole batch aside rather than block every later one.
            for (const part of batch.parts) {
                const lines = this.read(part.file).map((event) => JSON.stringify({ event, error: message }))
                fs.appendFileSync(rejected, lines.map((l) => `${l}\n`).join(''))
                fs.rmSync(part.file, { force: true })
            }
            this.log.error(`events: Warmup refused a batch of ${batch.events.length} (${message}); set aside in ${rejected}`)
            return
        }
        let offset = index
        for (const part of batch.parts) {
            if (offset >= part.count) {
                offset -= part.count
                continue
            }
            const events = this.read(part.file)
            const [event] = events.splice(offset, 1)
            fs.appendFileSync(rejected, `${JSON.stringify({ event, error: message })}\n`)
            const temp = `${part.file}.tmp`
            fs.writeFileSync(temp, events.map((e) => `${JSON.stringify(e)}\n`).join(''))
            fs.renameSync(temp, part.file)
            this.log.error(`events: Warmup refused event ${event?.id} (${message}); set aside in ${rejected}`)
            return
        }
    }

    // --- instances ----------------------------------------------------------------------------

    heartbeatPath(instance) {
        return path.join(this.dir, `${instance}.alive`)
    }

    beat() {
        fs.writeFileSync(this.heartbeatPath(this.instance), `${process.pid}\n`)
    }

    alive(instance) {
        if (instance === this.instance) return true
        const pid = Number(instance.split('.')[0])
        if (pid === process.pid) return false // an earlier process that had our pid
        try {
            process.kill(pid, 0)
        } catch (err) {
            // EPERM: a live process of another user (Haraka may drop privileges); anything else
            // (ESRCH, or EINVAL for a pid that cannot exist) means no such process.
            if (err.code !== 'EPERM') return false
        }
        try {
            return Date.now() - fs.statSync(this.heartbeatPath(instance)).mtimeMs < this.staleMs
        } catch {
            return false
        }
    }

    /** Take over the segments of instances that are gone; returns how many were adopted. */
    adopt() {
        let adopted = 0
        const names = fs.readdirSync(this.dir)
        const dead = new Map()
        const isDead = (instance) => {
            if (!dead.has(instance)) dead.set(instance, !this.alive(instance))
            return dead.get(instance)
        }
        for (const name of names) {
            const m = SEGMENT.exec(name)
            if (!m || m[2] === this.instance || !isDead(m[2])) continue
            this.seq += 1
            const target = `${m[1]}-${this.instance}-${this.seq.toString(36)}.ready`
            try {
                fs.renameSync(path.join(this.dir, name), path.join(this.dir, target))
                adopted += 1
            } catch (err) {
                if (err.code !== 'ENOENT') throw err // another process adopted it first
            }
        }
        for (const name of names) {
            const m = HEARTBEAT.exec(name)
            if (m && m[1] !== this.instance && isDead(m[1])) fs.rmSync(path.join(this.dir, name), { force: true })
        }
        if (adopted) this.log.info(`events: took over ${adopted} spooled segment(s) of a stopped process`)
        return adopted
    }
}

module.exports = { Spool }
