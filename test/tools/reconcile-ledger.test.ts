import { describe, expect, it } from 'vitest'
import { HOUR_MS, loadConfig, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { applyBatch } from '../../ingest/index.ts'
import { createToolkit, ledgerFreshness, type Toolkit } from '../../tools/index.ts'
import { databaseUrl, runCli } from '../cli/run-cli.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { cardEvent } from '../helpers/card-event.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { SECRETS, startTestServer } from '../helpers/server.ts'

/**
 * Freshness per source (`/healthz`, `giftcards status`, the tools' answers) at known times, and
 * the reconcile_ledger tool through the executor (roles, audit) on a hand-built ledger: one card
 * whose POS-reported balance its events do not add up to, and one Clover balance-read
 * adjustment (docs/reconciliation.md).
 */

const NOW = Date.now()
const ago = (hours: number) => toIso(NOW - hours * HOUR_MS)

const event = cardEvent

/** Square's newest event 50 h ago, generic's 1 h ago, an import's 30 h ago; Shopify sent none. */
async function buildLedger(database: Database): Promise<void> {
  await applyBatch(database, {
    events: [
      event('square', 'sq1', 'gc_sq', 'activate', 5000, ago(60), { balanceAfterCents: 5000 }),
      // Square says $35 is left after a $10 redemption: $5 went with no event in the ledger.
      event('square', 'sq2', 'gc_sq', 'redeem', -1000, ago(50), { balanceAfterCents: 3500 }),
      event('generic', 'gen1', 'gc_gen', 'activate', 2000, ago(1)),
      event('import', 'imp1', 'gc_imp', 'activate', 1000, ago(30)),
      event('clover', 'cl1', 'gc_cl', 'activate', 4000, ago(50), { balanceAfterCents: 4000 }),
      // A Clover balance read found $30 where the ledger had $40 (ingest/clover-balances.ts).
      event(
        'clover',
        `balance-drift:gc_cl:4000@${ago(50)}->3000`,
        'gc_cl',
        'adjust_down',
        -1000,
        ago(2),
        {
          balanceAfterCents: 3000,
        },
      ),
    ],
    cards: [],
  })
  await database.db
    .insertInto('webhook_inbox')
    .values({
      source: 'generic',
      event_id: 'gen1',
      event_type: 'gift_card.transaction.created',
      received_at: ago(0.5),
      status: 'processed',
      raw_body: '{}',
      processed_at: ago(0.5),
    })
    .execute()
  await database.db
    .insertInto('sync_state')
    .values({
      source: 'clover:balances',
      cursor: null,
      last_event_at: ago(2),
      updated_at: ago(1.5),
    })
    .execute()
}

const CONFIG_ENV = {
  SQUARE_WEBHOOK_SIGNATURE_KEY: SECRETS.squareKey,
  SQUARE_WEBHOOK_URL: SECRETS.squareUrl,
  SHOPIFY_WEBHOOK_SECRET: SECRETS.shopify,
  GENERIC_WEBHOOK_SECRET: SECRETS.generic,
  PII_TOKEN_KEY: 'test-pii-key',
}

for (const dialect of DIALECTS) {
  describe(`freshness and reconcile_ledger on ${dialect.name}`, () => {
    let database: Database
    let kit: Toolkit
    useDatabase(dialect, async (d) => {
      database = d
      await buildLedger(d)
      kit = createToolkit(d, loadConfig(CONFIG_ENV))
    })

    it('gives each source its newest event, newest receipt, lag and stale flag', async () => {
      const freshness = await ledgerFreshness(database, loadConfig(CONFIG_ENV), NOW)
      expect(freshness.staleAfterHours).toBe(24)
      expect(freshness.sources).toEqual([
        {
          source: 'square',
          configured: true,
          lastEventAt: ago(50),
          lastReceivedAt: null,
          lagSeconds: 50 * 3600,
          stale: true,
        },
        {
          source: 'shopify',
          configured: true,
          lastEventAt: null,
          lastReceivedAt: null,
          lagSeconds: null,
          stale: true,
        },
        {
          source: 'clover',
          configured: false,
          lastEventAt: ago(2),
          lastReceivedAt: ago(1.5),
          lagSeconds: 2 * 3600,
          stale: false,
        },
        {
          source: 'generic',
          configured: true,
          lastEventAt: ago(1),
          lastReceivedAt: ago(0.5),
          lagSeconds: 3600,
          stale: false,
        },
        {
          source: 'import',
          configured: false,
          lastEventAt: ago(30),
          lastReceivedAt: null,
          lagSeconds: 30 * 3600,
          stale: false,
        },
      ])
      expect(freshness.stale).toEqual(['square', 'shopify'])
      expect(freshness.warning).toBe(
        "square's newest event is 50.0 h old; shopify is configured but has no event in the ledger yet (stale after 24 h, FRESHNESS_STALE_HOURS): figures may miss recent activity",
      )
      // A longer threshold: only the source with no event at all is stale.
      const lenient = await ledgerFreshness(
        database,
        loadConfig({ ...CONFIG_ENV, FRESHNESS_STALE_HOURS: '100' }),
        NOW,
      )
      expect(lenient.stale).toEqual(['shopify'])
    })

    it('reports freshness in /healthz beside the fields it had', async () => {
      const server = await startTestServer(database)
      try {
        const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<
          string,
          unknown
        >
        expect(health).toMatchObject({
          status: 'ok',
          engine: dialect.name,
          watermark: ago(1),
          webhooks: ['square', 'shopify', 'generic'],
          freshness: { staleAfterHours: 24, stale: ['square', 'shopify'] },
        })
        const sources = (health.freshness as { sources: { source: string; lastEventAt: string }[] })
          .sources
        expect(sources.map((s) => [s.source, s.lastEventAt])).toEqual([
          ['square', ago(50)],
          ['shopify', null],
          ['clover', ago(2)],
          ['generic', ago(1)],
          ['import', ago(30)],
        ])
      } finally {
        await server.close()
      }
    })

    it('prints it with giftcards status, exit 1 while a configured source is stale', async () => {
      const env = { DATABASE_URL: databaseUrl(database), AUDIT_CHECKPOINT_FILE: 'off' }
      const stale = await runCli(['status'], { ...env, ...CONFIG_ENV })
      expect(stale.code).toBe(1)
      expect(stale.stdout).toMatch(
        /square\s+STALE\s+newest event .* \(50\.0 h ago\), last received never/,
      )
      expect(stale.stdout).toMatch(/generic\s+ok\s+newest event .*, last received /)
      expect(stale.stdout).toContain("Warning: square's newest event is 50.0 h old")
      // Only the generic webhook configured, and it is fresh: exit 0.
      const fresh = await runCli(['status', '--json'], {
        ...env,
        GENERIC_WEBHOOK_SECRET: SECRETS.generic,
      })
      expect(fresh.code).toBe(0)
      const json = JSON.parse(fresh.stdout)
      expect(json).toMatchObject({
        engine: dialect.name,
        watermark: ago(1),
        freshness: { stale: [] },
      })
      expect(json.freshness.sources.map((s: { source: string }) => s.source)).toEqual([
        'square',
        'clover',
        'generic',
        'import',
      ])
    })

    it('carries compact freshness in the liability and metrics answers, with the warning', async () => {
      for (const [tool, args] of [
        ['get_liability', {}],
        ['ledger_metrics', { metric: 'liability' }],
      ] as const) {
        const outcome = await kit.executor.call(tool, args, { actor: ACTORS.analyst, via: 'cli' })
        if (!outcome.ok) throw new Error(outcome.error.message)
        const { freshness } = outcome.data as {
          freshness: { sources: { source: string }[]; stale: string[]; warning: string }
        }
        expect(
          freshness.sources.map((s) => s.source),
          tool,
        ).toEqual(['square', 'shopify', 'clover', 'generic', 'import'])
        expect(freshness.stale, tool).toEqual(['square', 'shopify'])
        expect(freshness.warning, tool).toContain("square's newest event is 50.0 h old")
      }
    })

    it('reports the drifting card and the balance-read adjustment through the executor, audited, for every read role', async () => {
      for (const actor of [ACTORS.analyst, ACTORS.lp, ACTORS.manager]) {
        const outcome = await kit.executor.call('reconcile_ledger', {}, { actor, via: 'cli' })
        if (!outcome.ok) throw new Error(outcome.error.message)
        // biome-ignore lint/suspicious/noExplicitAny: the JSON a model reads
        const data = outcome.data as any
        expect(data).toMatchObject({
          cardsChecked: 4,
          drifting: 1,
          totalDrift: { cents: -500, formatted: '-$5.00' },
          cards: [
            {
              cardId: 'gc_sq',
              source: 'square',
              balance: { cents: 3500 },
              eventsSum: { cents: 4000 },
              drift: { cents: -500 },
              balanceAsOf: ago(50),
            },
          ],
          balanceReadAdjustments: {
            count: 1,
            total: { cents: -1000 },
            latest: [
              {
                cardId: 'gc_cl',
                amount: { cents: -1000 },
                reportedBalance: { cents: 3000 },
                at: ago(2),
              },
            ],
          },
          ledgerUpTo: ago(1),
          equal: false,
        })
        expect(data.freshness.stale).toEqual(['square', 'shopify'])
        const audit = await database.db
          .selectFrom('audit_log')
          .select(['actor', 'tool', 'role'])
          .where('tool', '=', 'reconcile_ledger')
          .where('actor', '=', actor.id)
          .execute()
        expect(audit).toEqual([{ actor: actor.id, tool: 'reconcile_ledger', role: actor.role }])
      }
      const clover = await kit.executor.call(
        'reconcile_ledger',
        { source: 'clover' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(clover).toMatchObject({
        ok: true,
        data: { source: 'clover', cardsChecked: 1, drifting: 0 },
      })
      const bad = await kit.executor.call(
        'reconcile_ledger',
        { source: 'paypal' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    })
  })
}
