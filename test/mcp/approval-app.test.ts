import { runInNewContext } from 'node:vm'
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { afterAll, describe, expect, it } from 'vitest'
import { toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import type { Actor } from '../../governance/index.ts'
import {
  APPROVAL_VIEW_URI,
  createMcpServer,
  type ReviewApprovalResult,
  VIEW_RENDER,
} from '../../mcp-server/index.ts'
import { createToolkit, type PendingApproval } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

type Result = {
  isError?: boolean
  content: { type: string; text: string }[]
  structuredContent?: Record<string, unknown>
}

/** What a host that runs MCP Apps says at `initialize` (SEP-1865 capability negotiation). */
const APPS_HOST = {
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } },
}

/** A reason that would run in the view if any fact were not escaped. */
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)> & 'quoted'`

/** The view's own render code (the text shipped in the HTML), run on a review. */
function render(review: unknown, ui: unknown = {}): string {
  return runInNewContext(`${VIEW_RENDER}; renderReview(review, ui)`, { review, ui }) as string
}

for (const dialect of DIALECTS) {
  describe(`the MCP approval app on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let cards: string[] = []
    const clients: Client[] = []
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 120)
      cards = (
        await d.db
          .selectFrom('gift_cards')
          .select('id')
          .where('status', '=', 'active')
          .where('balance_cents', '>', 0)
          .orderBy('id')
          .limit(8)
          .execute()
      ).map((c) => c.id)
    })
    afterAll(async () => {
      for (const c of clients) await c.close()
    })

    const connect = async (actor: Actor, apps = true) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
      await createMcpServer({
        executor: createToolkit(database, fixture.config).executor,
        actor,
      }).connect(serverSide)
      const client = new Client(
        { name: apps ? 'apps-host' : 'plain-client', version: '1.0.0' },
        { capabilities: apps ? APPS_HOST : {} },
      )
      await client.connect(clientSide)
      clients.push(client)
      return client
    }
    const call = async (client: Client, name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as Result
    /** Loss prevention files a hold on `card` with `reason`; its approval id. */
    const requestHold = async (card: string, reason: string, by: Actor = ACTORS.lp) => {
      const filed = await call(await connect(by), 'place_card_hold', { card, reason })
      expect(filed.isError).toBeFalsy()
      return (filed.structuredContent as unknown as PendingApproval).approvalId
    }

    it('offers the view as a ui:// resource and the two tools with _meta.ui, to managers only', async () => {
      const manager = await connect(ACTORS.manager)
      const { tools } = await manager.listTools()
      const review = tools.find((t) => t.name === 'review_approval')
      const decide = tools.find((t) => t.name === 'decide_approval')
      expect(review?._meta).toEqual({
        ui: { resourceUri: APPROVAL_VIEW_URI, visibility: ['model', 'app'] },
        'ui/resourceUri': APPROVAL_VIEW_URI,
      })
      expect(decide?._meta).toMatchObject({
        ui: { resourceUri: APPROVAL_VIEW_URI, visibility: ['app'] },
      })
      expect(review?.outputSchema).toMatchObject({ type: 'object' })

      const { resources } = await manager.listResources()
      expect(resources.find((r) => r.uri === APPROVAL_VIEW_URI)).toMatchObject({
        mimeType: RESOURCE_MIME_TYPE,
        _meta: { ui: { prefersBorder: true } },
      })
      const read = await manager.readResource({ uri: APPROVAL_VIEW_URI })
      const [content] = read.contents as { uri: string; mimeType: string; text: string }[]
      expect(content?.mimeType).toBe(RESOURCE_MIME_TYPE)
      const html = content?.text ?? ''
      // Self-contained: one inline module script holding ext-apps' App and the view; nothing to
      // fetch (no src, no stylesheet link, no import), and no ledger data in the page itself.
      expect(html).toMatch(/^<!doctype html>/)
      expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module">'])
      expect(html).not.toMatch(/<script[^>]+src=|<link\b|@import|\bimport\s*\(|\bfrom\s*["']/i)
      expect(html).toContain('const ExtApps = { App: ')
      expect(html).toContain(VIEW_RENDER)
      expect(html).toContain("name: 'decide_approval'")
      // The module script parses (bundle, render and wiring together; parsed, not run).
      const script = /<script type="module">([\s\S]*)<\/script>/.exec(html)?.[1] ?? ''
      expect(script.length).toBeGreaterThan(100_000)
      expect(() => new Function(script)).not.toThrow()

      // Roles filter the tools: an analyst and loss prevention get neither, and are refused.
      for (const actor of [ACTORS.analyst, ACTORS.lp]) {
        const client = await connect(actor)
        const names = (await client.listTools()).tools.map((t) => t.name)
        expect(names).not.toContain('review_approval')
        expect(names).not.toContain('decide_approval')
        const refused = await call(client, 'review_approval', { approvalId: 1 })
        expect(refused.isError).toBe(true)
        expect(refused.content[0]?.text).toMatch(/^FORBIDDEN: .* may not use review_approval/)
      }
      // A client that runs no MCP Apps would hand the buttons' tool to its model: not offered.
      const plain = await connect(ACTORS.manager, false)
      const plainNames = (await plain.listTools()).tools.map((t) => t.name)
      expect(plainNames).toContain('review_approval')
      expect(plainNames).not.toContain('decide_approval')
      const notThere = await call(plain, 'decide_approval', { approvalId: 1, decision: 'approve' })
      expect(notThere.content[0]?.text).toMatch(
        /^NOT_FOUND: there is no tool named "decide_approval"/,
      )
    })

    it('shows the facts, the reason verbatim and the POS enforcement, and the view escapes every one', async () => {
      const approvalId = await requestHold(cards[0] as string, HOSTILE)
      const manager = await connect(ACTORS.manager)
      const result = await call(manager, 'review_approval', { approvalId })
      expect(result.isError).toBeFalsy()
      const review = result.structuredContent as ReviewApprovalResult
      expect(review).toMatchObject({
        approvalId,
        action: 'place_card_hold',
        reason: HOSTILE,
        requestedBy: ACTORS.lp.id,
        requestedVia: 'mcp',
        status: 'pending',
        expired: false,
        atThePos: { enforced: false, connector: 'ledger-only' },
        youMayDecide: true,
        whyNot: null,
      })
      expect(review.atThePos?.effect).toMatch(/^ledger only: the card still works at the till/)
      expect(review.facts.map((f) => f.label)).toEqual(expect.arrayContaining(['Card', 'Balance']))

      const html = render(review)
      expect(html).not.toContain('<script')
      expect(html).not.toContain('<img')
      expect(html).toContain(
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;quoted&#39;',
      )
      expect(html).toContain('data-decision="approve"')
      // Every fact the tool can carry is escaped, whatever field it comes in.
      const everywhere = render(
        {
          ...review,
          summary: HOSTILE,
          requestedBy: HOSTILE,
          requestedVia: HOSTILE,
          status: HOSTILE,
          atThePos: { enforced: true, connector: HOSTILE, effect: HOSTILE },
          facts: [{ label: HOSTILE, value: HOSTILE }],
          decidedBy: HOSTILE,
          decidedAt: HOSTILE,
          decisionReason: HOSTILE,
          youMayDecide: false,
          whyNot: HOSTILE,
        },
        { message: HOSTILE, error: HOSTILE },
      )
      expect(everywhere).not.toMatch(/<(script|img)/)
      // 16 places: the status twice (heading, decision), the requester and face, the POS's two,
      // a fact's label and value, the decider, time and words, the message, error and why-not.
      expect(everywhere.split('&lt;script&gt;').length - 1).toBe(16)
      // The requester sees no buttons, and why.
      const own = (
        await call(await connect(ACTORS.manager), 'review_approval', {
          approvalId: await requestHold(cards[1] as string, 'my own', ACTORS.manager),
        })
      ).structuredContent as ReviewApprovalResult
      expect(own.youMayDecide).toBe(false)
      expect(own.whyNot).toMatch(
        /^only a manager other than the requester can approve this \(approval #\d+ was requested by cli:mgr\)/,
      )
      expect(render(own)).not.toContain('data-decision')
    })

    it('decides through the approval service: four-eyes, exactly once, an expired one refused', async () => {
      const ownId = await requestHold(cards[2] as string, 'manager asks', ACTORS.manager)
      const manager = await connect(ACTORS.manager)
      const self = await call(manager, 'decide_approval', {
        approvalId: ownId,
        decision: 'approve',
      })
      expect(self.isError).toBe(true)
      expect(self.content[0]?.text).toMatch(/^FORBIDDEN: only a manager other than the requester/)

      const approvalId = await requestHold(cards[3] as string, 'customer reported it stolen')
      const manager2 = await connect(ACTORS.manager2)
      const first = await call(manager2, 'decide_approval', {
        approvalId,
        decision: 'approve',
        reason: 'checked the receipts',
      })
      expect(first.isError).toBeFalsy()
      expect(first.structuredContent).toMatchObject({
        approvalId,
        decision: 'approve',
        changed: true,
        status: 'executed',
      })
      // A second click (the same manager, or another) changes nothing and says who decided.
      for (const client of [manager2, manager]) {
        const again = await call(client, 'decide_approval', { approvalId, decision: 'approve' })
        expect(again.structuredContent).toMatchObject({ changed: false, status: 'executed' })
        expect(String(again.structuredContent?.message)).toContain(
          `already executed by ${ACTORS.manager2.id}`,
        )
      }
      const rejectLate = await call(manager, 'decide_approval', { approvalId, decision: 'reject' })
      expect(rejectLate.content[0]?.text).toMatch(/^CONFLICT: approval #\d+ was already executed/)
      const holds = await database.db
        .selectFrom('card_holds')
        .select('id')
        .where('approval_id', '=', approvalId)
        .execute()
      expect(holds).toHaveLength(1)
      const executed = await database.db
        .selectFrom('audit_log')
        .select(['actor', 'via', 'input'])
        .where('approval_id', '=', approvalId)
        .where('action', 'in', ['approval_decided', 'approval_executed'])
        .orderBy('id')
        .execute()
      expect(executed.map((r) => [r.actor, r.via])).toEqual([
        [ACTORS.manager2.id, 'mcp'],
        [ACTORS.manager2.id, 'mcp'],
      ])
      expect(executed[0]?.input).toContain('checked the receipts')
      const reviewed = (await call(manager2, 'review_approval', { approvalId }))
        .structuredContent as ReviewApprovalResult
      expect(reviewed).toMatchObject({
        status: 'executed',
        decidedBy: ACTORS.manager2.id,
        youMayDecide: false,
      })

      // Past its expiry a request is refused and never runs.
      const lateId = await requestHold(cards[4] as string, 'too late')
      await database.db
        .updateTable('approval_requests')
        .set({ expires_at: toIso(Date.now() - 60_000) })
        .where('id', '=', lateId)
        .execute()
      const late = await call(manager2, 'decide_approval', {
        approvalId: lateId,
        decision: 'approve',
      })
      expect(late.isError).toBe(true)
      expect(late.content[0]?.text).toMatch(
        /^CONFLICT: approval #\d+ expired at .*; it will not run/,
      )
      const lateReview = (await call(manager2, 'review_approval', { approvalId: lateId }))
        .structuredContent as ReviewApprovalResult
      expect(lateReview).toMatchObject({ status: 'expired', expired: true, youMayDecide: false })

      // An admin decides like a manager (docs/identity.md#roles): roles grow.
      const adminId = await requestHold(cards[5] as string, 'for the admin')
      const admin = await call(await connect(ACTORS.admin), 'decide_approval', {
        approvalId: adminId,
        decision: 'reject',
      })
      expect(admin.structuredContent).toMatchObject({ changed: true, status: 'rejected' })
    })
  })
}
