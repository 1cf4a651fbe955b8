import { Hono } from 'hono'
const a = new Hono()
a.use('/dashboard/*', async (c, n) => { c.header('x-n', String(Number(c.res.headers.get('x-n') ?? 0) + 1)); await n() })
a.get('/dashboard', (c) => c.text('root'))
a.get('/dashboard/x', (c) => c.text('x'))
const p = new Hono(); p.route('/', a); p.get('/healthz', (c)=>c.text('h'))
for (const u of ['/dashboard', '/dashboard/x', '/dashboardx', '/healthz']) { const r = await p.request(u); console.log(u, r.status, r.headers.get('x-n')) }
