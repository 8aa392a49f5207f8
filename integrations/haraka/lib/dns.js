'use strict'

// MX, address and PTR lookups for the get_mx hook, through the nameservers warmup.ini names
// (the system's otherwise). The rules follow Haraka's own MX lookup: MX hosts by preference; no
// MX record → the domain's own address (implicit MX); a null MX (RFC 7505), or neither MX nor
// address → the mail cannot be delivered; a failing lookup → try again later.

const net = require('node:net')
const { Resolver } = require('node:dns').promises

// Answers that mean "there is nothing", as opposed to "could not find out".
const ABSENT = new Set(['ENOTFOUND', 'ENODATA'])

function bare(name) {
    return String(name).toLowerCase().replace(/\.$/, '')
}

// Domains whose exchanges are kept at most (the oldest go first).
const CACHE_ENTRIES = 10000

class Dns {
    constructor({
        nameservers = [],
        timeoutMs = 5000,
        cacheMs = 60 * 1000,
        ptrTtlMs = 3600 * 1000,
        ptrRetryMs = 300 * 1000,
    } = {}) {
        this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
        if (nameservers.length) this.resolver.setServers(nameservers)
        this.cacheMs = cacheMs
        this.cache = new Map()
        this.inFlight = new Map()
        this.lookups = 0 // MX lookups sent, for the tests
        this.ptrTtlMs = ptrTtlMs
        this.ptrRetryMs = ptrRetryMs
        this.ptrCache = new Map()
    }

    /**
     * Where to deliver mail for `domain` from an IP of this address family (4 or 6). A bulk
     * sender's queue items go to a handful of domains at once: answers are kept `cacheMs` (60 s;
     * failures are not kept), and a lookup under way is shared by every item that needs it,
     * instead of hundreds of identical queries at the resolver.
     * @returns {Promise<{exchanges?: {host: string, priority: number, address: string}[],
     *   error?: {permanent: boolean, message: string}}>}
     */
    exchanges(domain, family) {
        const key = `${family} ${domain.toLowerCase()}`
        const cached = this.cache.get(key)
        if (cached && cached.expires > Date.now()) return Promise.resolve(cached.value)
        if (this.inFlight.has(key)) return this.inFlight.get(key)
        const lookup = this.lookUpExchanges(domain, family)
            .then((value) => {
                if (!value.error && this.cacheMs > 0) {
                    this.cache.delete(key)
                    this.cache.set(key, { value, expires: Date.now() + this.cacheMs })
                    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value)
                }
                return value
            })
            .finally(() => this.inFlight.delete(key))
        this.inFlight.set(key, lookup)
        return lookup
    }

    async addresses(host, family) {
        if (net.isIP(host)) return { addresses: net.isIP(host) === family ? [host] : [] }
        try {
            return { addresses: await (family === 6 ? this.resolver.resolve6(host) : this.resolver.resolve4(host)) }
        } catch (err) {
            if (ABSENT.has(err.code)) return { addresses: [] }
            return { addresses: [], error: `${host}: ${err.code || err.message}` }
        }
    }

    async lookUpExchanges(domain, family) {
        this.lookups += 1
        let records
        let implicit = false
        try {
            records = await this.resolver.resolveMx(domain)
        } catch (err) {
            if (!ABSENT.has(err.code)) {
                return { error: { permanent: false, message: `MX lookup for ${domain} failed: ${err.code || err.message}` } }
            }
            records = []
        }
        if (records.length === 1 && bare(records[0].exchange) === '') {
            return { error: { permanent: true, message: `${domain} accepts no mail (null MX)` } }
        }
        if (!records.length) {
            implicit = true
            records = [{ exchange: domain, priority: 0 }]
        }
        records = records
            .map((r) => ({ host: bare(r.exchange), priority: r.priority }))
            .filter((r) => r.host)
            .sort((a, b) => a.priority - b.priority)
        const found = await Promise.all(records.map((r) => this.addresses(r.host, family)))
        const exchanges = []
        const errors = []
        records.forEach((r, i) => {
            for (const address of found[i].addresses) exchanges.push({ ...r, address })
            if (found[i].error) errors.push(found[i].error)
        })
        if (exchanges.length) return { exchanges }
        if (errors.length) {
            return { error: { permanent: false, message: `address lookup failed: ${errors.join(', ')}` } }
        }
        return {
            error: {
                permanent: implicit,
                message: implicit
                    ? `Nowhere to deliver mail to for domain: ${domain}`
                    : `no IPv${family} address for the MX hosts of ${domain}`,
            },
        }
    }

    /** The IP's PTR name (lower case), or null; answers are kept an hour, failures 5 minutes. */
    async ptr(ip) {
        const cached = this.ptrCache.get(ip)
        if (cached && cached.expires > Date.now()) return cached.name
        let name
        try {
            const names = await this.resolver.reverse(ip)
            name = names.length ? bare(names[0]) : null
        } catch {
            name = null
        }
        this.ptrCache.set(ip, { name, expires: Date.now() + (name ? this.ptrTtlMs : this.ptrRetryMs) })
        return name
    }
}

module.exports = { Dns }
