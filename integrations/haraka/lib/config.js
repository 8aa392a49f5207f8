'use strict'

// warmup.ini → one validated settings object. Every mistake is reported with the section and key
// at fault, so Haraka refuses to start with a sentence the operator can act on instead of
// sending mail from an IP nobody chose.

const net = require('node:net')
const path = require('node:path')

const POLICIES = ['defer', 'fallback']

class ConfigError extends Error {}

function fail(where, message) {
    throw new ConfigError(`warmup.ini ${where}: ${message}`)
}

function number(section, key, value, fallback, { min, integer = false }) {
    if (value === undefined || value === '') return fallback
    const n = typeof value === 'number' ? value : Number(value)
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
        fail(`[${section}] ${key}`, `${JSON.stringify(value)} is not a ${integer ? 'whole ' : ''}number ≥ ${min}.`)
    }
    return n
}

function text(value) {
    return value === undefined || value === null ? '' : String(value).trim()
}

function nameservers(value) {
    const servers = text(value)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    for (const server of servers) {
        // host, host:port, [v6]:port — node's Resolver.setServers takes these forms.
        const host = server.startsWith('[') ? server.slice(1, server.indexOf(']')) : server.replace(/:\d+$/, '')
        if (!net.isIP(host)) {
            fail('[dns] nameservers', `${JSON.stringify(server)} is not an IP address (optionally with :port).`)
        }
    }
    return servers
}

/**
 * @param {object} ini what haraka-config returns for warmup.ini ({main, api, routing, …})
 * @param {string} baseDir the Haraka directory, against which a relative spool_dir is resolved
 */
function parse(ini, baseDir) {
    const api = ini.api || {}
    const routing = ini.routing || {}
    const events = ini.events || {}
    const dns = ini.dns || {}

    const url = text(api.url).replace(/\/+$/, '')
    if (!url) fail('[api] url', "Set Warmup's base URL, e.g. https://warmup.example.com.")
    let parsed
    try {
        parsed = new URL(url)
    } catch {
        fail('[api] url', `${JSON.stringify(url)} is not a URL.`)
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) fail('[api] url', 'Use an http:// or https:// URL.')
    const token = text(api.token)
    if (!token) fail('[api] token', 'Set the pipeline credential (manage.py create_pipeline_token NAME prints one).')

    const policy = text(routing.no_route) || 'defer'
    if (!POLICIES.includes(policy)) {
        fail('[routing] no_route', `${JSON.stringify(policy)} is not a policy; use ${POLICIES.join(' or ')}.`)
    }
    const fallbackIp = text(routing.fallback_ip)
    if (policy === 'fallback' && !fallbackIp) {
        fail('[routing] fallback_ip', 'no_route=fallback needs the IP address to send from.')
    }
    if (fallbackIp && !net.isIP(fallbackIp)) {
        fail('[routing] fallback_ip', `${JSON.stringify(fallbackIp)} is not an IP address.`)
    }

    const helo = {}
    for (const [ip, name] of Object.entries(ini.helo || {})) {
        if (!net.isIP(ip)) fail(`[helo] ${ip}`, 'each key is a sending IP address.')
        if (!text(name)) fail(`[helo] ${ip}`, 'give the name to announce in EHLO.')
        helo[ip] = text(name)
    }

    const spoolDir = text(events.spool_dir) || 'warmup-spool'
    const batchSize = number('events', 'batch_size', events.batch_size, 500, { min: 1, integer: true })
    if (batchSize > 10000) fail('[events] batch_size', 'the events API takes at most 10000 events a request.')

    return {
        url,
        token,
        routesTimeoutMs: number('api', 'routes_timeout', api.routes_timeout, 2, { min: 0.05 }) * 1000,
        routesConcurrency: number('api', 'routes_concurrency', api.routes_concurrency, 1, { min: 1, integer: true }),
        eventsTimeoutMs: number('api', 'events_timeout', api.events_timeout, 10, { min: 0.05 }) * 1000,
        policy,
        retryAfterSeconds: number('routing', 'retry_after', routing.retry_after, 60, { min: 1, integer: true }),
        fallbackIp,
        fallbackHelo: text(routing.fallback_helo),
        batchSize,
        batchWaitMs: number('events', 'batch_wait', events.batch_wait, 1, { min: 0.01 }) * 1000,
        spoolDir: path.resolve(baseDir, spoolDir),
        retryMinMs: number('events', 'retry_min', events.retry_min, 1, { min: 0.01 }) * 1000,
        retryMaxMs: number('events', 'retry_max', events.retry_max, 60, { min: 0.01 }) * 1000,
        nameservers: nameservers(dns.nameservers),
        dnsTimeoutMs: number('dns', 'timeout', dns.timeout, 5, { min: 0.1 }) * 1000,
        dnsCacheMs: number('dns', 'cache_seconds', dns.cache_seconds, 60, { min: 0 }) * 1000,
        mxPort: number('dns', 'mx_port', dns.mx_port, 25, { min: 1, integer: true }),
        helo,
    }
}

module.exports = { parse, ConfigError, POLICIES }
