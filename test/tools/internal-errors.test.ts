import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../db/index.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'giftcards.js')

/** The log line pino wrote to stderr for an unexpected tool failure, parsed. */
function failureLogged(stderr: string, tool: string) {
  const lines = stderr.split('\n').filter((l) => l.startsWith('{'))
  return lines
    .map((l) => JSON.parse(l) as { msg?: string; tool?: string; err?: { message?: string } })
    .find((l) => l.msg === 'tool failed unexpectedly' && l.tool === tool)
}

/**
 * Issue 16, defect 7: an INTERNAL error says "the error is in the server log", and under the CLI
 * and the MCP stdio server there was no log. The fault here is a table gone from the ledger
 * (campaigns), so list_campaigns fails inside the database, as an unexpected error does.
 */
describe('unexpected tool failures are logged to stderr by the CLI and the MCP stdio server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-internal-'))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    DATABASE_URL: `sqlite:${join(dir, 'ledger.db')}`,
    PII_TOKEN_KEY: 'test-pii-key',
    LOG_LEVEL: 'info',
  }
  beforeAll(async () => {
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'ledger.db') })
    await writeLedgerFixture(database.db)
    await sql`drop table campaigns`.execute(database.db)
    await database.close()
  }, 60_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('`giftcards tools call`: the answer on stdout, the error with its cause on stderr', () => {
    const run = spawnSync(
      process.execPath,
      [BIN, 'tools', 'call', 'list_campaigns', '{}', '--as', 'cli:root'],
      { env, cwd: dir, encoding: 'utf8', timeout: 60_000 },
    )
    expect(run.status).toBe(1)
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      tool: 'list_campaigns',
      error: {
        code: 'INTERNAL',
        message: 'list_campaigns failed unexpectedly; the error is in the server log',
      },
    })
    expect(run.stdout).not.toMatch(/no such table/)
    expect(failureLogged(run.stderr, 'list_campaigns')?.err?.message).toMatch(/no such table/)
  })

  it('`giftcards mcp`: the client gets an error result, the log gets the cause, stdout stays protocol', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--as', 'cli:root'],
      env,
      stderr: 'pipe',
    })
    let stderr = ''
    transport.stderr?.on('data', (chunk) => {
      stderr += String(chunk)
    })
    const client = new Client({ name: 'internal-test', version: '1.0.0' })
    await client.connect(transport)
    try {
      const result = (await client.callTool({ name: 'list_campaigns', arguments: {} })) as {
        isError?: boolean
        content: { text: string }[]
      }
      expect(result.isError).toBe(true)
      expect(result.content[0]?.text).toContain('the error is in the server log')
      expect(result.content[0]?.text).not.toMatch(/no such table/)
      // The protocol still works after it: nothing but JSON-RPC was written to stdout.
      expect((await client.listTools()).tools.length).toBeGreaterThan(0)
    } finally {
      await client.close()
    }
    expect(failureLogged(stderr, 'list_campaigns')?.err?.message).toMatch(/no such table/)
  })
})
