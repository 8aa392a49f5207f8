'use strict'

// Routing requests, batched under load. Haraka delivers many queue items at once (up to
// outbound.ini concurrency_max); one routing request each would queue up at the API and time out
// exactly when the MTA is busiest. So at most `concurrency` requests are in flight per process:
// a queue item that finds every slot taken waits for the next free one and shares its request
// with every other waiting item of the same sender domain. An idle MTA pays no delay (the first
// item goes at once); a busy one sends few, large requests, and routing's cost grows with the
// (IP, provider) groups of a request, not its recipients.

const { MAX_RECIPIENTS } = require('./api')

class RoutesBatcher {
    /**
     * @param {object} o
     * @param {(domain: string, recipients: string[]) => Promise<object[]>} o.fetch asks the API
     *   (Api.routes with the timeout bound in); its routes come back in the recipients' order
     * @param {number} [o.concurrency] requests in flight at most
     */
    constructor({ fetch, concurrency = 1 }) {
        this.fetch = fetch
        this.concurrency = concurrency
        this.waiting = []
        this.inFlight = 0
        this.requests = 0 // sent, for the log and the tests
    }

    /** The routes of these recipients (one per recipient, in order); rejects like fetch. */
    route(domain, recipients) {
        return new Promise((resolve, reject) => {
            this.waiting.push({ domain, recipients, resolve, reject })
            this.pump()
        })
    }

    pump() {
        while (this.inFlight < this.concurrency && this.waiting.length) {
            const batch = this.take()
            this.inFlight += 1
            this.requests += 1
            const recipients = batch.flatMap((item) => item.recipients)
            this.fetch(batch[0].domain, recipients)
                .then(
                    (routes) => {
                        let start = 0
                        for (const item of batch) {
                            item.resolve(routes.slice(start, start + item.recipients.length))
                            start += item.recipients.length
                        }
                    },
                    (err) => {
                        for (const item of batch) item.reject(err)
                    },
                )
                .finally(() => {
                    this.inFlight -= 1
                    this.pump()
                })
        }
    }

    /** The oldest waiting item and every later one of the same sender domain that fits. */
    take() {
        const [first] = this.waiting
        const batch = []
        let size = 0
        this.waiting = this.waiting.filter((item) => {
            const room = item === first || size + item.recipients.length <= MAX_RECIPIENTS
            if (item.domain !== first.domain || !room) return true
            batch.push(item)
            size += item.recipients.length
            return false
        })
        return batch
    }
}

module.exports = { RoutesBatcher }
