'use strict'

const assert = require('node:assert/strict')
const { test } = require('node:test')

const { Api, ApiError } = require('../lib/api')
const { apiServer } = require('./helpers')

test('it asks for routes with the token and returns them in order', async (t) => {
    const server = await apiServer((req, body) => ({
        status: 200,
        body: { routes: body.recipients.map((r) => ({ recipient: r, provider: 'google', ip: '203.0.113.1', pool: 'p', reason: 'warming' })) },
    }))
    const api = new Api({ url: server.url, token: 'secret' })
    t.after(() => (api.close(), server.close()))

    const routes = await api.routes('acme.example', ['ann@gmail.com', 'bob@gmail.com'], 1000)

    assert.deepEqual(routes.map((r) => r.recipient), ['ann@gmail.com', 'bob@gmail.com'])
    assert.equal(server.requests[0].path, '/api/v1/routes/')
    assert.equal(server.requests[0].headers.authorization, 'Token secret')
    assert.deepEqual(server.requests[0].body, { sender_domain: 'acme.example', recipients: ['ann@gmail.com', 'bob@gmail.com'] })
})

test('it splits more than 10,000 recipients over several requests', async (t) => {
    const server = await apiServer((req, body) => ({
        status: 200,
        body: { routes: body.recipients.map((r) => ({ recipient: r, ip: '203.0.113.1' })) },
    }))
    const api = new Api({ url: server.url, token: 'k' })
    t.after(() => (api.close(), server.close()))
    const recipients = Array.from({ length: 10001 }, (_, i) => `r${i}@gmail.com`)

    const routes = await api.routes('acme.example', recipients, 5000)

    assert.equal(routes.length, 10001)
    assert.deepEqual(server.requests.map((r) => r.body.recipients.length), [10000, 1])
})

test('it fails with the API message on an error answer', async (t) => {
    const server = await apiServer(() => ({ status: 400, body: { message: "sender_domain: 'co.uk' is a public suffix.", field: 'sender_domain' } }))
    const api = new Api({ url: server.url, token: 'k' })
    t.after(() => (api.close(), server.close()))

    await assert.rejects(api.routes('co.uk', ['a@gmail.com'], 1000), (err) => {
        assert.ok(err instanceof ApiError)
        assert.equal(err.status, 400)
        assert.match(err.message, /HTTP 400: sender_domain: 'co.uk' is a public suffix/)
        return true
    })
})

test('it gives up on an API that does not answer in time', async (t) => {
    const server = await apiServer(() => null)
    const api = new Api({ url: server.url, token: 'k' })
    t.after(() => (api.close(), server.close()))

    const started = Date.now()
    await assert.rejects(api.routes('acme.example', ['a@gmail.com'], 200), /no answer within 200 ms/)
    assert.ok(Date.now() - started < 2000)
})

test('it reports a refused connection', async () => {
    const server = await apiServer(() => ({ status: 200, body: {} }))
    const url = server.url
    await server.close()
    const api = new Api({ url, token: 'k' })
    await assert.rejects(api.routes('acme.example', ['a@gmail.com'], 1000), /ECONNREFUSED/)
    api.close()
})
