import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_SQLITE_PATH, DEVELOPMENT_AUDIT_KEY, loadConfig } from '../../core/index.ts'
import { type Database, openDatabase } from '../../db/index.ts'
import {
  type AuditCheckpoint,
  type AuditRow,
  type AuditTrailSettings,
  appendAudit,
  attachAuditTrail,
  auditTrailSettings,
  checkpointSignatureHolds,
  GENESIS_HASH,
  grantRole,
  KEYED_HASH_PREFIX,
  keyedRowHash,
  legacyRowHash,
  listActors,
  resolveActor,
  revokeRole,
  signCheckpoint,
  verifyAudit,
  verifyAuditTrail,
  writeAuditCheckpoint,
} from '../../governance/index.ts'
import { genericSource } from '../../ingest/sources/generic.ts'
import { createToolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, type Dialect, useDatabase } from '../helpers/dialects.ts'
import { eventually } from '../helpers/eventually.ts'

const KEY = 'test-audit-key'
const OTHER_KEY = 'an-attackers-key'
const WRITER = join(import.meta.dirname, 'audit-writer.ts')
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')

const dir = mkdtempSync(join(tmpdir(), 'giftcards-audit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const entry = (i: number, tag = 'a') => ({
  actor: `cli:${tag}${i % 3}`,
  role: 'analyst',
  via: 'cli',
  action: 'tool_call',
  tool: 'get_gift_card',
  input: { card: `gc_${tag}${i}` },
  resultSummary: 'ok',
})

function settings(file: string | undefined, extra: Partial<AuditTrailSettings> = {}) {
  return {
    key: KEY,
    ...(file ? { checkpointFile: file } : {}),
    checkpointEvery: 1000,
    checkpointIntervalMs: 0,
    onCheckpointError: (err: unknown) => {
      throw err
    },
    ...extra,
  } satisfies AuditTrailSettings
}

function checkpointLines(file: string): AuditCheckpoint[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditCheckpoint)
}

/** A second connection to the same database (as another process would open it). */
function reopen(database: Database): Promise<Database> {
  return openDatabase(
    database.target,
    database.searchPath ? { searchPath: database.searchPath } : {},
  )
}

for (const dialect of DIALECTS) {
  describe(`the keyed audit chain on ${dialect.name}`, () => {
    let plain: Database
    let database: Database
    const file = join(dir, `${dialect.name}-checkpoints.jsonl`)
    useDatabase(dialect, (d) => {
      plain = d
    })

    /** What an attacker with the database reads and writes: the rows, in id order. */
    async function rows(): Promise<AuditRow[]> {
      const raw = await plain.db.selectFrom('audit_log').selectAll().orderBy('id').execute()
      return raw.map((r) => ({
        ...r,
        id: Number(r.id),
        approval_id: r.approval_id === null ? null : Number(r.approval_id),
      }))
    }

    /** Recomputes the chain from row `from` with another hash, as a forger would. */
    async function rehashFrom(from: number, hash: (row: Omit<AuditRow, 'hash'>) => string) {
      let prev = (await rows()).find((r) => r.id === from - 1)?.hash ?? GENESIS_HASH
      for (const row of (await rows()).filter((r) => r.id >= from)) {
        const { hash: _old, ...fields } = { ...row, prev_hash: prev }
        prev = hash(fields)
        await plain.db
          .updateTable('audit_log')
          .set({ prev_hash: fields.prev_hash, hash: prev })
          .where('id', '=', row.id)
          .execute()
      }
    }

    /**
     * An empty log and checkpoint file, then `n` rows (30 at once) and one checkpoint of them
     * (none in the background unless asked: where those land depends on timing).
     */
    async function freshLog(n = 30, extra: Partial<AuditTrailSettings> = {}) {
      await sql`delete from audit_log`.execute(plain.db)
      rmSync(file, { force: true })
      database = attachAuditTrail(plain, settings(file, extra))
      await Promise.all(Array.from({ length: n }, (_, i) => appendAudit(database, entry(i))))
      if (n > 0) await writeAuditCheckpoint(database)
    }

    const verify = () => verifyAuditTrail(database)

    it('keys every row, anchors the head, and an intact chain passes', async () => {
      await freshLog(30, { checkpointEvery: 10 })
      const all = await rows()
      expect(all.map((r) => r.id)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
      expect(all[0]?.prev_hash).toBe(GENESIS_HASH)
      for (let i = 1; i < all.length; i++) expect(all[i]?.prev_hash).toBe(all[i - 1]?.hash)
      for (const row of all) {
        const { hash, ...fields } = row
        expect(hash).toBe(keyedRowHash(fields, KEY))
        expect(hash.startsWith(KEYED_HASH_PREFIX)).toBe(true)
      }
      // Every ten appends wrote one in the background; the explicit one is last, at the head.
      const lines = checkpointLines(file)
      expect(lines.length).toBeGreaterThanOrEqual(2)
      for (const line of lines) expect(checkpointSignatureHolds(line, KEY)).toBe(true)
      expect(lines.at(-1)).toMatchObject({ lastId: 30, lastHash: all[29]?.hash, count: 30 })
      const result = await verify()
      expect(result).toMatchObject({
        ok: true,
        rows: 30,
        lastId: 30,
        developmentKey: false,
        problems: [],
        problemCount: 0,
      })
      expect(result.checkpoints).toMatchObject({
        file,
        found: true,
        invalid: 0,
        newest: { lastId: 30 },
      })
      expect(result.summary).toMatch(/^intact: 30 rows, chain verified; head anchored at row 30 /)
    })

    it('names an edited row', async () => {
      await freshLog(30)
      await plain.db
        .updateTable('audit_log')
        .set({ actor: 'cli:someone_else' })
        .where('id', '=', 5)
        .execute()
      const result = await verify()
      expect(result.ok).toBe(false)
      expect(result.problems).toEqual([
        {
          kind: 'edited',
          id: 5,
          problem: 'its contents do not match its hash (the row was edited)',
        },
      ])
      expect(result.summary).toContain('rows edited (5)')
    })

    it('names a row edited and the chain recomputed without the key (the old scheme)', async () => {
      await freshLog(30)
      await plain.db
        .updateTable('audit_log')
        .set({ actor: 'cli:forger' })
        .where('id', '=', 5)
        .execute()
      await rehashFrom(5, legacyRowHash)
      const result = await verify()
      expect(result.ok).toBe(false)
      expect(result.problems.filter((p) => p.kind === 'rewritten')).toEqual([
        { kind: 'rewritten', id: 5, problem: expect.stringContaining('without AUDIT_KEY') },
      ])
      // The checkpoints saw the rows as they were.
      const mismatched = result.problems.filter((p) => p.kind === 'checkpoint_mismatch')
      expect(mismatched.map((p) => p.id)).toContain(30)
      expect(
        result.problems.every((p) => ['rewritten', 'checkpoint_mismatch'].includes(p.kind)),
      ).toBe(true)
    })

    it('names a chain rewritten with a different key, whole or from an edited row', async () => {
      await freshLog(30)
      await rehashFrom(1, (row) => keyedRowHash(row, OTHER_KEY))
      const whole = await verify()
      expect(whole.problems.filter((p) => p.kind !== 'checkpoint_mismatch')).toEqual([
        {
          kind: 'rewritten',
          id: 1,
          problem: expect.stringContaining('rewritten with a different key'),
        },
      ])
      expect(whole.problems.some((p) => p.kind === 'checkpoint_mismatch' && p.id === 30)).toBe(true)

      await freshLog(30)
      await plain.db
        .updateTable('audit_log')
        .set({ actor: 'cli:forger' })
        .where('id', '=', 12)
        .execute()
      await rehashFrom(12, (row) => keyedRowHash(row, OTHER_KEY))
      const partial = await verify()
      expect(partial.problems.filter((p) => p.kind !== 'checkpoint_mismatch')).toEqual([
        {
          kind: 'rewritten',
          id: 12,
          problem:
            'rows 12–30 were re-hashed with a different key: the chain was rewritten from row 12',
        },
      ])
      expect(partial.problems.some((p) => p.kind === 'checkpoint_mismatch' && p.id === 30)).toBe(
        true,
      )
    })

    it('names rows deleted at the tail', async () => {
      await freshLog(30)
      await plain.db.deleteFrom('audit_log').where('id', '>', 25).execute()
      const result = await verify()
      expect(result.ok).toBe(false)
      expect(result.problems).toEqual([
        {
          kind: 'tail_deleted',
          id: 30,
          problem: expect.stringContaining('says the log reached row 30, the table ends at row 25'),
        },
      ])
      expect(result.summary).toContain('rows deleted from the end')
    })

    it('names all rows deleted', async () => {
      await freshLog(30)
      await sql`delete from audit_log`.execute(plain.db)
      const result = await verify()
      expect(result).toMatchObject({ ok: false, rows: 0 })
      expect(result.problems).toEqual([
        {
          kind: 'all_deleted',
          id: null,
          problem: expect.stringContaining('the log reached row 30 (30 rows), the table is empty'),
        },
      ])
    })

    it('finds rows deleted from the end and written again', async () => {
      await freshLog(30)
      await plain.db.deleteFrom('audit_log').where('id', '>', 25).execute()
      // A writer that knows nothing of the old rows carries on from row 25.
      const fresh = attachAuditTrail(plain, settings(file))
      for (let i = 0; i < 5; i++) await appendAudit(fresh, entry(i, 'z'))
      const result = await verify()
      expect(result.ok).toBe(false)
      expect(result.problems.map((p) => [p.kind, p.id])).toContainEqual(['checkpoint_mismatch', 30])
    })

    it('names a checkpoint file that is missing, or whose signature is wrong', async () => {
      await freshLog(30)
      await writeAuditCheckpoint(database) // a second line, so one can be edited
      const text = readFileSync(file, 'utf8')
      rmSync(file)
      const missing = await verify()
      expect(missing.problems).toEqual([
        {
          kind: 'checkpoint_missing',
          id: null,
          problem: expect.stringContaining('the checkpoint file is missing'),
        },
      ])

      // One line edited (its head moved back), the others as they were.
      const lines = text.trim().split('\n')
      const last = JSON.parse(lines.at(-1) ?? '{}') as AuditCheckpoint
      lines[lines.length - 1] = JSON.stringify({ ...last, lastId: 3 })
      writeFileSync(file, `${lines.join('\n')}\n`)
      const edited = await verify()
      expect(edited.problems).toEqual([
        {
          kind: 'checkpoint_invalid',
          id: null,
          problem: expect.stringContaining(`line ${lines.length} of ${file}`),
        },
      ])

      // Every line signed with another key: none vouches for the head.
      const head = (await rows()).at(-1)
      writeFileSync(
        file,
        `${JSON.stringify(signCheckpoint({ lastId: 30, lastHash: head?.hash ?? '', count: 30, keyedFrom: 1 }, OTHER_KEY, new Date().toISOString()))}\n`,
      )
      const forged = await verify()
      expect(forged.problems.map((p) => p.kind)).toEqual([
        'checkpoint_invalid',
        'checkpoint_missing',
      ])
      expect(forged.problems[0]?.problem).toContain('is signed with this AUDIT_KEY')
    })

    it('finds a deleted middle row and an inserted one', async () => {
      await freshLog(30)
      await plain.db.deleteFrom('audit_log').where('id', '=', 10).execute()
      const deleted = await verify()
      // The checkpoints at row 30 counted 30 rows, and say so.
      expect(deleted.problems).toEqual([
        { kind: 'missing', id: 11, problem: 'row 10 is missing (deleted)' },
        {
          kind: 'checkpoint_mismatch',
          id: 30,
          problem: expect.stringContaining('counted 30 rows up to here, the table has 29'),
        },
      ])
      const copy = (await rows()).find((r) => r.id === 9)
      if (!copy) throw new Error('row 9 is gone')
      await plain.db
        .insertInto('audit_log')
        .values({ ...copy, id: 10, actor: 'cli:forger' })
        .execute()
      const inserted = await verify()
      expect(inserted.problems).toEqual([
        { kind: 'replaced', id: 10, problem: expect.stringContaining('inserted or replaced') },
      ])
    })

    it('keeps an old ledger verifying: unkeyed rows first, keyed rows after', async () => {
      await freshLog(0)
      // Five rows as the code before keys wrote them (plain SHA-256).
      let prev = GENESIS_HASH
      for (let id = 1; id <= 5; id++) {
        const e = entry(id, 'old')
        const fields = {
          id,
          at: new Date(Date.UTC(2025, 0, id)).toISOString(),
          actor: e.actor,
          role: e.role,
          via: e.via,
          action: e.action,
          tool: e.tool,
          input: JSON.stringify(e.input),
          result_summary: e.resultSummary,
          approval_id: null,
          model: null,
          data_watermark: null,
          prev_hash: prev,
        }
        prev = legacyRowHash(fields)
        await plain.db
          .insertInto('audit_log')
          .values({ ...fields, hash: prev })
          .execute()
      }
      // Before any checkpoint, on the old ledger as it was.
      expect(await verifyAudit(plain.db, { key: KEY })).toMatchObject({ ok: true, rows: 5 })
      for (let i = 0; i < 5; i++) await appendAudit(database, entry(i, 'new'))
      await writeAuditCheckpoint(database)
      const upgraded = await verify()
      expect(upgraded).toMatchObject({ ok: true, rows: 10, problems: [] })
      expect((await rows())[5]?.prev_hash).toBe(prev)

      // An old row edited is still found; a new row re-hashed the old way is a rewrite.
      await plain.db
        .updateTable('audit_log')
        .set({ actor: 'cli:forger' })
        .where('id', '=', 3)
        .execute()
      expect((await verify()).problems).toEqual([
        { kind: 'edited', id: 3, problem: expect.stringContaining('edited') },
      ])
      await rehashFrom(3, legacyRowHash)
      const downgraded = await verify()
      expect(downgraded.problems.filter((p) => p.kind === 'rewritten')).toEqual([
        { kind: 'rewritten', id: 6, problem: expect.stringContaining('without AUDIT_KEY') },
      ])
      expect(downgraded.ok).toBe(false)
    })

    it('passes an empty log with no checkpoint yet (a fresh install)', async () => {
      await freshLog(0)
      const result = await verify()
      expect(result).toMatchObject({ ok: true, rows: 0, problems: [] })
      expect(result.summary).toContain('no checkpoint yet')
    })

    it('writes checkpoints after N appends, every M seconds and at a clean shutdown', async () => {
      await freshLog(0, { checkpointEvery: 4 })
      for (let i = 0; i < 9; i++) await appendAudit(database, entry(i))
      // One after the 4th append and one after the 8th. Each reads the head when it runs, so on a
      // busy machine the first may run after the 8th append and cover both (one checkpoint).
      await eventually(() => {
        const ids = checkpointLines(file).map((c) => c.lastId)
        expect(ids.length).toBeGreaterThanOrEqual(1)
        expect(ids.length).toBeLessThanOrEqual(2)
        expect(ids[0]).toBeGreaterThanOrEqual(4)
        expect(ids.at(-1)).toBeGreaterThanOrEqual(8)
      })
      // The second counted only the rows after the first, and agrees with the table.
      for (const c of checkpointLines(file)) expect(c.count).toBe(c.lastId)
      expect(await verify()).toMatchObject({ ok: true, problems: [] })

      await freshLog(0, { checkpointEvery: 1000, checkpointIntervalMs: 50 })
      await appendAudit(database, entry(1))
      await eventually(() => expect(checkpointLines(file).map((c) => c.lastId)).toEqual([1]))

      const other = join(dir, `${dialect.name}-shutdown.jsonl`)
      const second = attachAuditTrail(
        await reopen(plain),
        settings(other, { checkpointEvery: 1000 }),
      )
      for (let i = 0; i < 3; i++) await appendAudit(second, entry(i, 's'))
      expect(checkpointLines(other)).toEqual([])
      await second.close()
      expect(checkpointLines(other)).toEqual([expect.objectContaining({ lastId: 4, count: 4 })])
    })

    it('writes a background checkpoint only for appends the last one did not cover', async () => {
      // Appends noted while a checkpoint is being read ask for another; by the time it runs,
      // the one in flight may already cover them, and then it is not written.
      await freshLog(0, { checkpointEvery: 3 })
      await Promise.all(Array.from({ length: 40 }, (_, i) => appendAudit(database, entry(i))))
      const last = await writeAuditCheckpoint(database)
      expect(last).toMatchObject({ lastId: 40, count: 40 })
      const background = checkpointLines(file)
        .slice(0, -1)
        .map((c) => c.lastId)
      expect(background.length).toBeGreaterThanOrEqual(1)
      expect(background.length).toBeLessThanOrEqual(13)
      for (let i = 1; i < background.length; i++)
        expect((background[i] ?? 0) - (background[i - 1] ?? 0)).toBeGreaterThanOrEqual(3)
      expect(await verify()).toMatchObject({ ok: true, problems: [] })
    })

    it('posts each checkpoint to the webhook, signed like the generic webhook', async () => {
      const received: { headers: IncomingHttpHeaders; body: string }[] = []
      let status = 200
      const server = createServer(async (req, res) => {
        let body = ''
        for await (const chunk of req) body += chunk
        received.push({ headers: req.headers, body })
        res.writeHead(status).end()
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/checkpoints`
      try {
        await freshLog(0)
        const hooked = attachAuditTrail(plain, settings(undefined, { checkpointUrl: url }))
        for (let i = 0; i < 3; i++) await appendAudit(hooked, entry(i))
        const checkpoint = await writeAuditCheckpoint(hooked)
        expect(received).toHaveLength(1)
        const [{ headers, body } = { headers: {}, body: '' }] = received
        expect(headers['content-type']).toBe('application/json')
        expect(JSON.parse(body)).toEqual(checkpoint)
        expect(checkpoint).toMatchObject({ lastId: 3, count: 3 })
        expect(checkpointSignatureHolds(checkpoint, KEY)).toBe(true)
        const asHeaders = new Headers(headers as Record<string, string>)
        expect(genericSource({ secret: KEY }).verify(body, asHeaders)).toBe(true)
        expect(genericSource({ secret: OTHER_KEY }).verify(body, asHeaders)).toBe(false)
        status = 500
        await expect(writeAuditCheckpoint(hooked)).rejects.toThrow(/webhook answered HTTP 500/)
      } finally {
        server.close()
      }
    })

    it('answers get_audit_log with what verification found', async () => {
      await freshLog(30)
      const kit = createToolkit(database, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
      const call = async () => {
        const outcome = await kit.executor.call(
          'get_audit_log',
          { verify: true, limit: 1 },
          {
            actor: ACTORS.manager,
            via: 'cli',
          },
        )
        if (!outcome.ok) throw new Error(outcome.error.message)
        return (
          outcome.data as { chain: { ok: boolean; summary: string; problems: { kind: string }[] } }
        ).chain
      }
      expect(await call()).toMatchObject({ ok: true, problems: [] })
      await writeAuditCheckpoint(database) // the call above is a row too
      await plain.db.deleteFrom('audit_log').where('id', '>', 20).execute()
      const broken = await call()
      expect(broken.ok).toBe(false)
      expect(broken.problems.map((p) => p.kind)).toEqual(['tail_deleted'])
      expect(broken.summary).toContain('rows deleted from the end')
    })

    it('stays one chain when two processes append at once', async () => {
      await freshLog(0)
      const shared = {
        key: KEY,
        checkpointFile: file,
        checkpointEvery: 20,
        checkpointIntervalMs: 0,
      }
      const writers = ['p', 'q'].map((tag) => startWriter(dialect, plain, shared, tag, 100))
      await Promise.all(writers.map((w) => w.ready))
      for (const w of writers) w.child.stdin?.end('go\n')
      const outcomes = await Promise.all(writers.map((w) => w.done))
      for (const o of outcomes) expect(o).toMatchObject({ code: 0, stderr: '' })
      const all = await rows()
      expect(all).toHaveLength(200)
      expect(new Set(all.map((r) => r.actor))).toEqual(new Set(['cli:p', 'cli:q']))
      const result = await verify()
      expect(result).toMatchObject({ ok: true, rows: 200, problems: [] })
      // Both wrote checkpoints, each at its clean exit too; every one agrees with the table.
      expect(result.checkpoints?.valid).toBeGreaterThanOrEqual(4)
      expect(result.checkpoints?.newest?.lastId).toBe(200)
    }, 120_000)
  })

  describe(`roles on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    it('makes unknown actors analysts, and grants and revokes', async () => {
      expect(await resolveActor(database, 'slack:U999')).toEqual({
        id: 'slack:U999',
        role: 'analyst',
      })
      await grantRole(database, 'slack:U1', 'loss_prevention')
      await grantRole(database, 'slack:U1', 'manager')
      expect(await resolveActor(database, 'slack:U1')).toEqual({ id: 'slack:U1', role: 'manager' })
      expect((await listActors(database)).map((a) => a.id)).toEqual(['slack:U1'])
      expect(await revokeRole(database, 'slack:U1')).toBe(true)
      expect(await revokeRole(database, 'slack:U1')).toBe(false)
      expect((await resolveActor(database, 'slack:U1')).role).toBe('analyst')
      await expect(grantRole(database, 'not an actor', 'admin')).rejects.toThrow(
        /must look like slack:U123/,
      )
    })
  })
}

/** Starts test/governance/audit-writer.ts on the same ledger; it waits for a line on stdin. */
function startWriter(
  dialect: Dialect,
  database: Database,
  trail: AuditTrailSettings,
  tag: string,
  count: number,
): {
  child: ChildProcess
  ready: Promise<void>
  done: Promise<{ code: number | null; stderr: string }>
} {
  const args = [JSON.stringify(database.target), JSON.stringify(trail), tag, String(count)]
  if (dialect.name === 'postgres' && database.searchPath) args.push(database.searchPath)
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      stdout += chunk
      if (stdout.includes('ready\n')) resolve()
    })
    child.once('exit', () => reject(new Error(`writer ${tag} exited early: ${stderr}`)))
  })
  const done = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }))
  return { child, ready, done }
}

describe('the audit key and checkpoints in the configuration', () => {
  it('works with nothing set: the development key, checkpoints beside the SQLite file', () => {
    const config = loadConfig({})
    expect(config.auditKey).toBe(DEVELOPMENT_AUDIT_KEY)
    expect(config.audit).toEqual({
      checkpointFile: DEFAULT_SQLITE_PATH.replace(/\.db$/, '.audit-checkpoints.jsonl'),
      checkpointEvery: 1000,
      checkpointIntervalSeconds: 300,
    })
    expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).audit.checkpointFile).toBeUndefined()
    expect(
      loadConfig({ DATABASE_URL: 'postgres://u@db.example:5433/ledger' }).audit.checkpointFile,
    ).toBe(join(dirname(DEFAULT_SQLITE_PATH), 'audit-checkpoints-db.example-5433-ledger.jsonl'))
    const pinned = 'postgres://u@db.example/ledger?options=-c%20search_path%3Dstore_7'
    expect(loadConfig({ DATABASE_URL: pinned }).audit.checkpointFile).toBe(
      join(dirname(DEFAULT_SQLITE_PATH), 'audit-checkpoints-db.example-5432-ledger-store_7.jsonl'),
    )
    const set = loadConfig({
      AUDIT_KEY: 'k',
      AUDIT_CHECKPOINT_FILE: 'off',
      AUDIT_CHECKPOINT_URL: 'https://audit.example/checkpoints',
      AUDIT_CHECKPOINT_EVERY: '50',
      AUDIT_CHECKPOINT_INTERVAL_SECONDS: '0',
    })
    expect(auditTrailSettings(set)).toEqual({
      key: 'k',
      checkpointUrl: 'https://audit.example/checkpoints',
      checkpointEvery: 50,
      checkpointIntervalMs: 0,
    })
    expect(() => loadConfig({ AUDIT_CHECKPOINT_URL: 'not a url' })).toThrow(/AUDIT_CHECKPOINT_URL/)
  })
})

describe('giftcards audit verify and audit checkpoint', () => {
  const cliDir = mkdtempSync(join(tmpdir(), 'giftcards-audit-cli-'))
  const ledger = join(cliDir, 'ledger.db')
  const env = { DATABASE_URL: `sqlite:${ledger}`, AUDIT_KEY: KEY }
  afterAll(() => rmSync(cliDir, { recursive: true, force: true }))

  const giftcards = (...args: string[]) => {
    const result = spawnSync(process.execPath, [BIN, 'audit', ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cliDir, ...env },
    })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }

  it('exits 0 on an intact log and 1 naming the damage; anchors only an intact chain', async () => {
    const config = loadConfig(env)
    expect(config.audit.checkpointFile).toBe(join(cliDir, 'ledger.audit-checkpoints.jsonl'))
    // Twelve rows by a face that closes cleanly: its shutdown checkpoint anchors them.
    const database = attachAuditTrail(
      await openDatabase(config.database),
      auditTrailSettings(config),
    )
    for (let i = 0; i < 12; i++) await appendAudit(database, entry(i))
    await database.close()

    const ok = giftcards('verify')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^audit log intact: 12 rows, chain verified; head anchored at row 12/)

    const { default: Sqlite } = await import('better-sqlite3')
    const db = new Sqlite(ledger)
    db.prepare('delete from audit_log where id > 9').run()
    db.close()
    const truncated = giftcards('verify')
    expect(truncated.code).toBe(1)
    expect(truncated.stdout).toContain('rows 10–12 were deleted from the end')
    const refused = giftcards('checkpoint')
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('no checkpoint written')

    // With the file gone (the log as it is now vouched for by nothing), a checkpoint anchors it.
    rmSync(config.audit.checkpointFile ?? '')
    const anchored = giftcards('checkpoint')
    expect(anchored.code).toBe(0)
    expect(anchored.stdout).toContain('checkpoint written: row 9, 9 rows')
    const json = giftcards('verify', '--json')
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, rows: 9, problems: [] })
  }, 120_000)
})
