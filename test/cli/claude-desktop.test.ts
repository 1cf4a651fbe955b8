import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginActorId } from '../../cli/identity.ts'
import { DAY_MS, PACKAGE_ROOT } from '../../core/index.ts'
import { openDatabase } from '../../db/index.ts'
import { seedChain } from '../../synth/seed.ts'

type DesktopEntry = { command: string; args: string[]; env?: Record<string, string> }

/** The `giftcards` entry of the README's claude_desktop_config.json, exactly as written there. */
function readmeEntry(): DesktopEntry {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('Claude Desktop (`claude_desktop_config.json`'))
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1]
  if (!json) throw new Error('no Claude Desktop config in the README')
  return (JSON.parse(json) as { mcpServers: { giftcards: DesktopEntry } }).mcpServers.giftcards
}

describe('the README’s Claude Desktop entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-desktop-'))
  // Claude Desktop starts servers in a directory of its own, not the project.
  const elsewhere = join(dir, 'claude')
  // GIFTCARDS_HOME stands in for the project directory, so the test never writes the real
  // data/giftcards.db; that the default is found from the package is test/core/config.test.ts's.
  const home = join(dir, 'home')
  beforeAll(async () => {
    mkdirSync(elsewhere)
    mkdirSync(join(home, 'data'), { recursive: true })
    const database = await openDatabase({
      engine: 'sqlite',
      path: join(home, 'data', 'giftcards.db'),
    })
    await seedChain(database, {
      cards: 200,
      seed: 4,
      startMs: Date.now() - 400 * DAY_MS,
      months: 12,
    })
    await database.close()
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('opens the project’s SQLite ledger from another directory, as the login, and answers from it', async () => {
    const entry = readmeEntry()
    expect(entry.env?.DATABASE_URL).toBeUndefined()
    expect(entry.args).not.toContain('--as')
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args.map((a) => a.replace('/path/to/giftcards-agent', PACKAGE_ROOT)),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        ...entry.env,
        GIFTCARDS_HOME: home,
      },
      cwd: elsewhere,
      stderr: 'pipe',
    })
    let stderr = ''
    transport.stderr?.on('data', (chunk) => {
      stderr += String(chunk)
    })
    const client = new Client({ name: 'claude-desktop-test', version: '1.0.0' })
    await client.connect(transport)
    try {
      const liability = (await client.callTool({
        name: 'get_liability',
        arguments: {},
      })) as { isError?: boolean; structuredContent?: { total: { cents: number }; cards: number } }
      expect(liability.isError).toBeFalsy()
      expect(liability.structuredContent?.total.cents).toBeGreaterThan(0)
      expect(liability.structuredContent?.cards).toBeGreaterThan(0)
    } finally {
      await client.close()
    }
    expect(stderr).toContain(`giftcards MCP server on stdio as ${loginActorId()} (analyst)`)
    expect(stderr).not.toContain('has no gift cards')
  }, 120_000)
})
