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

class Dns {
    constructor({ nameservers = [], timeoutMs = 5000, ptrTtlMs = 3600 * 1000, ptrRetryMs = 300 * 1000 } = {}) {
        this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 })
        if (nameservers.length) this.resolver.setServers(nameservers)
        this.ptrTtlMs = ptrTtlMs
        this.ptrRetryMs = ptrRetryMs
        this.ptrCache = new Map()
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

    /**
     * Where to deliver mail for `domain` from an IP of this address family (4 or 6).
     * @returns {Promise<{exchanges?: {host: string, priority: number, address: string}[],
     *   error?: {permanent: boolean, message: string}}>}
     */
    async exchanges(domain, family) {
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
