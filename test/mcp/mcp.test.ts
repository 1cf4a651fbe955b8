import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { main } from '../../cli/program.ts'
import type { Database } from '../../db/index.ts'
import type { Actor } from '../../governance/index.ts'
import { createMcpServer } from '../../mcp-server/index.ts'
import { createToolkit, TOOLS } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, PII, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

type Result = {
  isError?: boolean
  content: { type: string; text: string }[]
  structuredContent?: Record<string, unknown>
}

for (const dialect of DIALECTS) {
  describe(`the MCP server on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    const clients: Client[] = []
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 200)
    })
    afterAll(async () => {
      for (const c of clients) await c.close()
    })
    const connect = async (actor: Actor) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
      await createMcpServer({
        executor: createToolkit(database, fixture.config).executor,
        actor,
      }).connect(serverSide)
      const client = new Client({ name: 'test', version: '1.0.0' })
      await client.connect(clientSide)
      clients.push(client)
      return client
    }

    it('lists every tool with its title, schema and annotations', async () => {
      const client = await connect(ACTORS.admin)
      const { tools } = await client.listTools()
      // The registry, and the approval app's review (its buttons' tool only for an Apps host).
      expect(tools.map((t) => t.name).sort()).toEqual(
        [...TOOLS.map((t) => t.name), 'review_approval'].sort(),
      )
      const byName = new Map(tools.map((t) => [t.name, t]))
      expect(byName.get('get_gift_card')).toMatchObject({
        title: 'Look up a gift card',
        inputSchema: { type: 'object', required: ['card'] },
        annotations: { readOnlyHint: true, destructiveHint: false },
      })
      expect(byName.get('place_card_hold')?.annotations).toMatchObject({
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
      })
      expect(byName.get('update_fraud_alert')?.annotations).toMatchObject({
        readOnlyHint: false,
        destructiveHint: false,
      })
      expect(byName.get('draft_campaign')?.annotations).toMatchObject({
        readOnlyHint: false,
        destructiveHint: false,
      })
    })

    it('turns bad arguments, unknown cards and refusals into isError results it audits with via = mcp', async () => {
      const client = await connect(ACTORS.analyst)
      const bad = (await client.callTool({
        name: 'get_gift_card',
        arguments: { card: 42 },
      })) as Result
      expect(bad.isError).toBe(true)
      expect(bad.content[0]?.text).toMatch(
        /^INVALID_INPUT: invalid input for get_gift_card: card: .*expected string.* Expected: card: card id .*; transactions \(optional\): how many recent transactions/,
      )
      expect(bad.content[0]?.text).not.toMatch(/\n\s+at /)
      const missing = (await client.callTool({
        name: 'get_gift_card',
        arguments: { card: 'gc_doesnotexist' },
      })) as Result
      expect(missing.content[0]?.text).toBe(
        'CARD_NOT_FOUND: no gift card with id or last four digits "gc_doesnotexist".',
      )
      const refused = (await client.callTool({
        name: 'place_card_hold',
        arguments: { card: fixture.activeCard, reason: 'test' },
      })) as Result
      expect(refused.isError).toBe(true)
      expect(refused.content[0]?.text).toContain(
        'FORBIDDEN: cli:ana (analyst) may not use place_card_hold',
      )
      const rows = await database.db
        .selectFrom('audit_log')
        .select(['tool', 'via', 'result_summary'])
        .where('actor', '=', ACTORS.analyst.id)
        .where('via', '=', 'mcp')
        .orderBy('id')
        .execute()
      expect(rows.map((r) => r.result_summary?.split(':')[0])).toEqual([
        'INVALID_INPUT',
        'CARD_NOT_FOUND',
        'FORBIDDEN',
      ])
    })

    it('returns a write as a pending approval; a manager approves it with the CLI and it runs once', async () => {
      const client = await connect(ACTORS.lp)
      const result = (await client.callTool({
        name: 'place_card_hold',
        arguments: { card: fixture.activeCard, reason: 'MCP: balance enumeration' },
      })) as Result
      expect(result.isError).toBeFalsy()
      const pending = result.structuredContent as {
        status: string
        approvalId: number
        approvers: string
      }
      expect(pending.status).toBe('pending_approval')
      expect(result.content[0]?.text).toMatch(
        /^Pending approval #\d+: Hold card .* Nothing has changed yet; it waits for a manager other than cli:lp/,
      )
      const card = () =>
        database.db
          .selectFrom('gift_cards')
          .select('status')
          .where('id', '=', fixture.activeCard)
          .executeTakeFirstOrThrow()
      expect((await card()).status).toBe('active')

      const { target } = database
      const url =
        target.engine === 'sqlite'
          ? `sqlite:${target.path}`
          : `${target.url}?options=${encodeURIComponent(`-c search_path=${database.searchPath}`)}`
      const out: string[] = []
      const log = vi.spyOn(console, 'log').mockImplementation((m: unknown) => {
        out.push(String(m))
      })
      try {
        for (let i = 0; i < 2; i++)
          await main(
            [
              'node',
              'giftcards',
              'approvals',
              'approve',
              String(pending.approvalId),
              '--as',
              ACTORS.manager.id,
            ],
            {
              DATABASE_URL: url,
              LOG_LEVEL: 'silent',
              GIFTCARDS_ALLOW_AS: '1',
              AUDIT_CHECKPOINT_FILE: 'off', // PostgreSQL's default file would land in ./data
            },
          )
      } finally {
        log.mockRestore()
        process.exitCode = undefined
      }
      expect(out[0]).toBe(`approval #${pending.approvalId} approved by cli:mgr and executed`)
      expect(out[1]).toContain('Ledger only: the card still works at the till')
      expect(out[2]).toContain('was already executed by cli:mgr')
      expect((await card()).status).toBe('held')
      const holds = await database.db
        .selectFrom('card_holds')
        .selectAll()
        .where('card_id', '=', fixture.activeCard)
        .execute()
      expect(holds).toHaveLength(1)
    })

    it('serves cards and reports as resources, with listing and completion', async () => {
      const client = await connect(ACTORS.manager)
      const { resources } = await client.listResources()
      const uris = resources.map((r) => r.uri)
      expect(uris).toEqual(
        expect.arrayContaining([
          'giftcard://reports/liability',
          'giftcard://reports/breakage',
          'giftcard://alerts/open',
        ]),
      )
      expect(uris.some((u) => /^giftcard:\/\/cards\/gc_/.test(u))).toBe(true)
      const { resourceTemplates } = await client.listResourceTemplates()
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('giftcard://cards/{card_id}')

      const card = await client.readResource({ uri: `giftcard://cards/${fixture.piiCard}` })
      const body = JSON.parse(String((card.contents[0] as { text: string }).text))
      expect(body).toMatchObject({
        cardId: fixture.piiCard,
        balance: { cents: 6500 },
        holder: PII.pseudonym,
      })
      expect(JSON.stringify(card)).not.toContain(PII.email)
      const liability = await client.readResource({ uri: 'giftcard://reports/liability' })
      expect(JSON.parse(String((liability.contents[0] as { text: string }).text))).toMatchObject({
        groupBy: 'jurisdiction',
      })
      const alerts = await client.readResource({ uri: 'giftcard://alerts/open' })
      expect(String((alerts.contents[0] as { text: string }).text)).toContain('"byRule"')

      const completion = await client.complete({
        ref: { type: 'ref/resource', uri: 'giftcard://cards/{card_id}' },
        argument: { name: 'card_id', value: '9917' },
      })
      expect(completion.completion.values).toEqual([fixture.piiCard])
      await expect(client.readResource({ uri: 'giftcard://cards/gc_nope' })).rejects.toThrow(
        /CARD_NOT_FOUND/,
      )
    })

    it('offers the four prompts, which name the tools to use', async () => {
      const client = await connect(ACTORS.analyst)
      const { prompts } = await client.listPrompts()
      expect(prompts.map((p) => p.name).sort()).toEqual([
        'breakage_forecast_report',
        'dormant_card_campaign',
        'fraud_triage',
        'monthly_liability_review',
      ])
      const triage = await client.getPrompt({ name: 'fraud_triage', arguments: { days: '14' } })
      const text = (triage.messages[0]?.content as { text: string } | undefined)?.text
      expect(text).toContain('list_fraud_alerts (status open, days 14)')
      const campaign = await client.getPrompt({
        name: 'dormant_card_campaign',
        arguments: { min_days: '120', min_balance_dollars: '25' },
      })
      expect((campaign.messages[0]?.content as { text: string } | undefined)?.text).toContain(
        'minDays 120 and minBalanceCents 2500',
      )
    })
  })
}
