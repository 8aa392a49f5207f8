'use strict'

// Haraka plugin: every outbound queue item asks Warmup which IP each recipient leaves from, is
// sent from exactly that IP (split into one queue item per IP when its recipients got different
// ones), and every delivered, deferred and bounced recipient is reported back. See README.md.
//
// Hooks, in the order Haraka runs them for one delivery attempt of a queue item:
//
//   send_email  asks POST /api/v1/routes/ for the item's recipients (one request, shared with
//               other items of the same sender domain when the MTA is busy: lib/batcher.js),
//               then goes on with one IP, splits the item by IP, or delays it (no route, defer)
//   get_mx      MX hosts of the recipient domain, each bound to the chosen IP with its HELO name
//   delivered / deferred / bounce
//               one event per recipient into the on-disk spool, sent in batches to
//               POST /api/v1/events/
//
// What this attempt decided is kept in hmail.todo.notes.warmup: {attempt, ip, fallback, fresh,
// split}. The notes travel with the queue file, so an item split off with its IP already chosen
// (`fresh`) is sent from that IP without asking again, even after a restart.

const net = require('node:net')

const constants = require('haraka-constants')

const { Api } = require('./lib/api')
const { RoutesBatcher } = require('./lib/batcher')
const { parse } = require('./lib/config')
const { Dns } = require('./lib/dns')
const outcomes = require('./lib/outcomes')
const { plan } = require('./lib/routing')
const { Spool } = require('./lib/spool')

// Fields Haraka sets on a recipient from the remote's reply. They outlive the attempt on the
// in-memory recipient, so they are cleared when the next attempt starts: a retry that never
// gets a reply must not be reported with the previous attempt's.
const REPLY_FIELDS = ['dsn_smtp_code', 'dsn_smtp_extc', 'dsn_smtp_response', 'dsn_remote_mta']

exports.register = function () {
    this.load_warmup_ini()
    // send_email last, so that a plugin which delays the attempt does it before a route is
    // claimed (each route counts against the caps). get_mx and bounce first: our MX answer and
    // the bookkeeping of split items must not be overtaken. The reporting hooks answer CONT, so
    // other plugins still see every outcome.
    this.register_hook('send_email', 'warmup_route', 100)
    this.register_hook('get_mx', 'warmup_get_mx', -100)
    this.register_hook('delivered', 'warmup_delivered', -100)
    this.register_hook('deferred', 'warmup_deferred', -100)
    this.register_hook('bounce', 'warmup_bounce', -100)
}

exports.load_warmup_ini = function () {
    const ini = this.config.get('warmup.ini', () => {
        try {
            this.load_warmup_ini()
            this.loginfo('warmup: warmup.ini reloaded')
        } catch (err) {
            this.logerror(`warmup: keeping the previous settings: ${err.message}`)
        }
    })
    // A mistake in warmup.ini stops Haraka at start-up with the setting named.
    const cfg = parse(ini, process.env.HARAKA || process.cwd())
    if (!this.api || this.api.url !== cfg.url || this.api.token !== cfg.token) {
        // Requests in flight on the old connections finish (or fail and are retried).
        const old = this.api
        this.api = new Api({ url: cfg.url, token: cfg.token })
        if (old) setTimeout(() => old.close(), cfg.eventsTimeoutMs).unref()
    }
    this.cfg = cfg
    this.dns = new Dns({ nameservers: cfg.nameservers, timeoutMs: cfg.dnsTimeoutMs, cacheMs: cfg.dnsCacheMs })
    if (!this.batcher) {
        this.batcher = new RoutesBatcher({
            fetch: (domain, recipients) => this.api.routes(domain, recipients, this.cfg.routesTimeoutMs),
        })
    }
    this.batcher.concurrency = cfg.routesConcurrency
    if (this.spool) {
        this.spool.configure(cfg)
        return
    }
    this.spool = new Spool({
        dir: cfg.spoolDir,
        send: (events) => this.api.events(events, this.cfg.eventsTimeoutMs),
        log: {
            info: (message) => this.loginfo(message),
            warn: (message) => this.logwarn(message),
            error: (message) => this.logerror(message),
        },
        ...cfg,
    }).start()
}

exports.shutdown = function () {
    if (this.spool) this.spool.stop()
    if (this.api) this.api.close()
}

// --- routing ----------------------------------------------------------------------------------

function senderDomain(todo) {
    // A DSN (null sender) goes back to a sender of the account that sent the original: it is
    // routed and counted as that account's mail, whose domain is its recipient's.
    return String(todo.mail_from?.host || todo.domain).toLowerCase()
}

exports.warmup_route = function (next, hmail) {
    const warmup = hmail.todo.notes.warmup
    if (warmup?.fresh) {
        // Split off by an earlier attempt with its IP already chosen (and counted): send it.
        warmup.fresh = false
        hmail.warmup_attempt = warmup.attempt
        return next()
    }
    this.warmup_decide(hmail).then(
        (delay) => (delay ? next(constants.delay, this.cfg.retryAfterSeconds) : next()),
        (err) => {
            this.logerror(hmail, `warmup: routing failed unexpectedly: ${err.stack || err}`)
            hmail.todo.notes.warmup = { attempt: hmail.warmup_attempt, ip: null }
            next(constants.delay, this.cfg.retryAfterSeconds)
        },
    )
}

/** Ask for routes and record this attempt's decision; resolves true when the whole item waits. */
exports.warmup_decide = async function (hmail) {
    const { todo } = hmail
    const attempt = outcomes.attemptId()
    hmail.warmup_attempt = attempt
    for (const rcpt of todo.rcpt_to) for (const field of REPLY_FIELDS) delete rcpt[field]

    const recipients = todo.rcpt_to.map((rcpt) => rcpt.address)
    const domain = senderDomain(todo)
    let routes = null
    let error = ''
    try {
        routes = await this.batcher.route(domain, recipients)
    } catch (err) {
        error = err.message
    }
    const { policy, fallbackIp } = this.cfg
    const decided = plan({ recipients, routes, error, policy, fallbackIp })
    const parts = decided.groups.map((g) => ({ ip: g.ip, fallback: g.fallback, indices: g.indices }))
    if (decided.deferred.length) parts.push({ ip: null, fallback: false, indices: decided.deferred })
    if (decided.problems.length) {
        // Never silent: every queue item that waits or leaves from the fallback IP says why.
        const unrouted = parts.filter((p) => p.ip === null || p.fallback).flatMap((p) => p.indices)
        const what = policy === 'fallback' ? `sent from the fallback IP ${fallbackIp}` : 'waiting'
        this.lognotice(
            hmail,
            `warmup: ${decided.problems.join('; ')}: ` +
                `${unrouted.length} of ${recipients.length} recipient(s) ${what}`,
        )
    }

    if (parts.length === 1) {
        const [only] = parts
        todo.notes.warmup = { attempt, ip: only.ip, fallback: only.fallback }
        return only.ip === null
    }
    this.warmup_split(hmail, parts, attempt)
    todo.notes.warmup = { attempt, ip: null, split: true }
    return false
}

/** One new queue item per IP (and one for the recipients that wait), each written to disk with
 * its decision before the original is dropped. */
exports.warmup_split = function (hmail, parts, attempt) {
    const outbound = this.haraka_require('outbound')
    const { todo } = hmail
    const rcpts = todo.rcpt_to
    this.lognotice(
        hmail,
        `warmup: split into ${parts.length} queue items by sending IP: ` +
            parts.map((p) => `${p.ip || 'waiting'} (${p.indices.length})`).join(', '),
    )
    for (const part of parts) {
        // split_to_new_recipients copies todo (notes included) synchronously: each copy carries
        // its own part's decision.
        todo.notes.warmup =
            part.ip === null
                ? { attempt, ip: null }
                : { attempt, ip: part.ip, fallback: part.fallback, fresh: true }
        hmail.refcount++
        hmail.split_to_new_recipients(
            part.indices.map((i) => rcpts[i]),
            'warmup: recipients routed to different IPs',
            (child) => {
                hmail.discard()
                if (part.ip !== null) return outbound.delivery_queue.push(child)
                outbound.temp_fail_queue.add(child.filename, this.cfg.retryAfterSeconds * 1000, () =>
                    outbound.delivery_queue.push(child),
                )
            },
        )
    }
}

// --- MX ---------------------------------------------------------------------------------------

exports.warmup_get_mx = function (next, hmail, domain) {
    this.warmup_mx(hmail, domain).then(
        ([code, value]) => next(code, value),
        (err) => {
            this.logerror(hmail, `warmup: get_mx failed unexpectedly: ${err.stack || err}`)
            next(constants.denysoft, 'warmup: internal error')
        },
    )
}

exports.warmup_mx = async function (hmail, domain) {
    let warmup = hmail.todo.notes.warmup
    if (!warmup || hmail.warmup_attempt !== warmup.attempt) {
        // Another send_email plugin answered before ours this attempt: decide here instead.
        await this.warmup_decide(hmail)
        warmup = hmail.todo.notes.warmup
    }
    if (warmup.split) {
        // Its recipients now travel in the queue items split off; this DENY ends the original,
        // and warmup_bounce drops the bounce it causes (only that one: a failure to write a
        // split-off item bounces the original as Haraka always does).
        hmail.warmup_dropping = true
        return [constants.deny, 'warmup: split by sending IP']
    }
    if (!warmup.ip) return [constants.denysoft, 'warmup: no route; trying again later']

    const family = net.isIP(warmup.ip)
    const [found, helo] = await Promise.all([this.dns.exchanges(domain, family), this.warmup_helo(warmup)])
    if (found.error) {
        this.lognotice(hmail, `warmup: ${found.error.message}`)
        return [found.error.permanent ? constants.deny : constants.denysoft, found.error.message]
    }
    return [
        constants.ok,
        found.exchanges.map((e) => ({
            exchange: e.address,
            priority: e.priority,
            port: this.cfg.mxPort,
            bind: warmup.ip,
            ...(helo ? { bind_helo: helo } : {}),
            from_dns: e.host,
        })),
    ]
}

/** The name a sending IP announces: warmup.ini [helo], else its PTR name (what the remote
 * checks the HELO against), else Haraka's own name. */
exports.warmup_helo = async function (warmup) {
    if (this.cfg.helo[warmup.ip]) return this.cfg.helo[warmup.ip]
    if (warmup.fallback && this.cfg.fallbackHelo) return this.cfg.fallbackHelo
    return this.dns.ptr(warmup.ip)
}

// --- outcomes ---------------------------------------------------------------------------------

/** The attempt's sending IP, when routing (or the fallback policy) gave it one. */
function sending(hmail) {
    const warmup = hmail.todo.notes.warmup
    if (!warmup || !warmup.ip || warmup.split) return null
    return { uuid: hmail.todo.uuid, attempt: warmup.attempt, ip: warmup.ip }
}

exports.warmup_report = function (hmail, type, recipients, extra) {
    const from = sending(hmail)
    if (!from) return
    try {
        const domain = senderDomain(hmail.todo)
        this.spool.add(outcomes.events({ type, recipients, sending: from, senderDomain: domain, ...extra }))
    } catch (err) {
        // The journal is the only copy: a full disk must be loud.
        this.logcrit(hmail, `warmup: could not spool ${type} events: ${err.stack || err}`)
    }
}

exports.warmup_delivered = function (next, hmail, params) {
    const [, , response, , , , okRecips] = params
    this.warmup_report(hmail, 'delivered', okRecips || [], { delivered: response || '' })
    next()
}

exports.warmup_deferred = function (next, hmail, params) {
    const recipients = params?.fail_recips?.length ? params.fail_recips : hmail.todo.rcpt_to
    this.warmup_report(hmail, 'deferred', recipients, { otherwise: String(params?.err || '') })
    next()
}

exports.warmup_bounce = function (next, hmail, err) {
    if (hmail.warmup_dropping) {
        // The original of a split item (see warmup_mx): not a bounce, send no DSN.
        hmail.warmup_dropping = false
        return next(constants.ok)
    }
    let recipients = hmail.todo.rcpt_to
    if (err?.bounced_rcpt?.length) recipients = err.bounced_rcpt
    else if (err?.deferred_rcpt?.length) recipients = err.deferred_rcpt
    this.warmup_report(hmail, 'bounced', recipients, { otherwise: String(err?.message || err || '') })
    next()
}
