'use strict'

// The routing decision for one queue item, as plain data: which recipients leave from which IP,
// and which wait. No I/O here, so every policy case is unit-tested.

const net = require('node:net')

/**
 * @param {object} args
 * @param {string[]} args.recipients the queue item's recipient addresses, in order
 * @param {object[]|null} args.routes the routing API's answer (one route per recipient, same
 *   order), or null when it could not be had
 * @param {string} [args.error] why there is no answer (for the log)
 * @param {'defer'|'fallback'} args.policy what recipients without a route get
 * @param {string} [args.fallbackIp] the IP the fallback policy sends from
 * @returns {{groups: {ip: string, fallback: boolean, indices: number[]}[], deferred: number[],
 *   problems: string[]}} groups in the order of their first recipient; `deferred` are the
 *   indices that wait; `problems` says, once each, why recipients had no route.
 */
function plan({ recipients, routes, error = '', policy, fallbackIp = '' }) {
    const problems = []
    let usable = routes
    if (usable && usable.length !== recipients.length) {
        usable = null
        error = `routing answered ${routes.length} routes for ${recipients.length} recipients`
    }
    if (usable) {
        for (let i = 0; i < usable.length; i++) {
            const route = usable[i] || {}
            const same = String(route.recipient || '').toLowerCase() === recipients[i].toLowerCase()
            if (!same || (route.ip !== null && route.ip !== undefined && !net.isIP(String(route.ip)))) {
                usable = null
                error = `routing answered an unusable route for ${recipients[i]}: ${JSON.stringify(route)}`
                break
            }
        }
    }
    if (!usable) problems.push(`routing unavailable (${error || 'no answer'})`)

    const byIp = new Map()
    const deferred = []
    const add = (ip, fallback, index) => {
        const key = `${fallback ? 'fallback' : 'route'} ${ip}`
        if (!byIp.has(key)) byIp.set(key, { ip, fallback, indices: [] })
        byIp.get(key).indices.push(index)
    }
    for (let i = 0; i < recipients.length; i++) {
        const route = usable ? usable[i] : null
        if (route && route.ip) {
            add(route.ip, false, i)
            continue
        }
        if (route) {
            const why = `no_route for ${route.provider || 'this provider'}${route.detail ? `: ${route.detail}` : ''}`
            if (!problems.includes(why)) problems.push(why)
        }
        if (policy === 'fallback') add(fallbackIp, true, i)
        else deferred.push(i)
    }
    return { groups: [...byIp.values()], deferred, problems }
}

module.exports = { plan }
