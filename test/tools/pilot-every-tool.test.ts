import { describe, expect, it } from 'vitest'
import { CLI_REPORTS } from '../../cli/reports/index.ts'
import { addMonths, DAY_MS, startOfMonth, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import {
  type AnyTool,
  createToolkit,
  TOOLS,
  ToolExecutor,
  type ToolOutcome,
} from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { type PilotChain, poisonOutsidePilot, setUpPilotChain } from './pilot-chain.ts'

/**
 * Every tool of the registry and every CLI report keeps to the pilot, or says why not
 * (docs/pilot.md). A new tool must be added to SAMPLES below, so it cannot forget: a scoped one
 * answers exactly the same on the pilot's stores however the rest of the chain changes (proved
 * by changing everything outside the pilot between two calls), names no card or store outside
 * it, and refuses arguments naming a store, state, card or alert outside it.
 */

type Sample = {
  input: (c: PilotChain) => Record<string, unknown>
  /** Keys whose values differ call to call (ids of new rows, timings). */
  volatile?: string[]
  /** A pure read whose whole-chain answer the poison changes (the control). */
  control?: boolean
  /** It lists a pilot card's own transactions, which may be at other stores. */
  cardHistory?: boolean
}

type Refusal = {
  input: (c: PilotChain) => Record<string, unknown>
  code?: string
}

type Entry = { samples: Sample[]; outside?: Refusal[] } | 'unscoped'

const s = (input: Sample['input'], options: Omit<Sample, 'input'> = {}): Sample => ({
  input,
  ...options,
})
const TX_STORE = (c: PilotChain) => c.tx.name
const aYearAgo = toIso(Date.now() - 365 * DAY_MS).slice(0, 10)
const halfAYearAgo = toIso(Date.now() - 180 * DAY_MS).slice(0, 10)
const threeYearsAgo = toIso(Date.now() - 1000 * DAY_MS).slice(0, 10)
/** The month before this one, `YYYY-MM`: the last month a journal can close. */
const lastMonth = toIso(addMonths(startOfMonth(Date.now()), -1)).slice(0, 7)
/** Freshness in an answer: the lag grows between two calls. */
const FRESH = ['lagSeconds']

/** One entry per tool and report: samples inside the pilot, and calls it must refuse. */
const SAMPLES: Record<string, Entry> = {
  get_gift_card: {
    samples: [
      s((c) => ({ card: c.ny.card }), { cardHistory: true }),
      // Its last four digits are also a Texas card's after the poison: still one card here.
      s((c) => ({ card: c.ny.uniqueCard.last4 }), { cardHistory: true }),
    ],
    outside: [{ input: (c) => ({ card: c.outside.card }) }],
  },
  search_gift_cards: {
    samples: [
      s(() => ({ limit: 100 }), { control: true }),
      s((c) => ({ last4: c.ny.uniqueCard.last4 }), { control: true }),
    ],
    outside: [
      { input: (c) => ({ location: TX_STORE(c) }) },
      { input: () => ({ jurisdiction: 'US-TX' }) },
    ],
  },
  get_liability: {
    samples: [
      s(() => ({ groupBy: 'jurisdiction' }), { control: true, volatile: FRESH }),
      s(() => ({ groupBy: 'cohort' }), { control: true, volatile: FRESH }),
      s(() => ({ groupBy: 'occasion', asOf: halfAYearAgo }), { volatile: FRESH }),
      s(() => ({ groupBy: 'location', asOf: aYearAgo }), { control: true, volatile: FRESH }),
    ],
    outside: [
      { input: () => ({ jurisdiction: 'US-TX' }) },
      { input: () => ({ jurisdictions: ['US-NY', 'US-TX'] }) },
      { input: (c) => ({ location: TX_STORE(c) }) },
    ],
  },
  forecast_breakage: {
    samples: [s(() => ({ groupBy: 'jurisdiction', topCards: 20 }), { control: true })],
  },
  list_fraud_alerts: {
    samples: [
      s(() => ({ limit: 100 }), { control: true }),
      s(() => ({ countBy: 'location' }), { control: true }),
    ],
    outside: [
      { input: (c) => ({ location: TX_STORE(c) }) },
      { input: () => ({ jurisdiction: 'US-TX' }) },
    ],
  },
  scan_for_fraud: {
    samples: [s(() => ({ days: 3650, top: 50 }), { volatile: ['since'] })],
    outside: [{ input: (c) => ({ location: TX_STORE(c) }) }],
  },
  explain_fraud_alert: {
    samples: [s((c) => ({ alertId: c.ny.alertId }), { cardHistory: true })],
    outside: [
      { input: (c) => ({ alertId: c.outside.alertId }) },
      { input: (c) => ({ card: c.outside.card }) },
    ],
  },
  cli_fraud_deliver_cases: { samples: [s(() => ({}))] },
  get_fraud_case: {
    // The place_card_hold samples file a new hold request on the same card each round.
    samples: [
      s((c) => ({ alertId: c.ny.alertId }), {
        cardHistory: true,
        volatile: ['pendingApprovals'],
      }),
    ],
    outside: [{ input: (c) => ({ alertId: c.outside.alertId }) }],
  },
  update_fraud_alert: {
    samples: [s((c) => ({ alertId: c.ny.alertId, status: 'confirmed', note: 'seen' }))],
    outside: [{ input: (c) => ({ alertId: c.outside.alertId, status: 'dismissed' }) }],
  },
  segment_purchasers: { samples: [s(() => ({}), { control: true })] },
  find_dormant_cards: {
    // Days idle count from now: a card can cross a day boundary between the two reads.
    samples: [
      s(() => ({ minDays: 30, limit: 100 }), { control: true, volatile: ['daysInactive'] }),
    ],
    outside: [
      { input: (c) => ({ location: TX_STORE(c) }) },
      { input: () => ({ jurisdiction: 'US-TX' }) },
    ],
  },
  escheatment_report: {
    // Its jurisdiction is the claimant's (the owner's state): a pilot card may owe any state,
    // so it is not refused; it still lists the pilot's cards only.
    samples: [
      s(() => ({ horizonMonths: 120, cards: 100 }), { control: true }),
      s(() => ({ horizonMonths: 120, cards: 100, jurisdiction: 'US-NY' }), { control: true }),
    ],
  },
  product_affinity: {
    samples: [
      s(() => ({ limit: 50 }), { control: true }),
      s(() => ({ context: 'bought_alongside', limit: 50 }), { control: true }),
    ],
  },
  recommend_upsell: 'unscoped',
  draft_campaign: {
    samples: [
      s(() => ({ audience: { minDaysInactive: 30, minBalanceCents: 1 } }), {
        volatile: ['campaignId', 'next', 'idleBefore'],
      }),
    ],
    outside: [
      { input: (c) => ({ audience: { location: TX_STORE(c) } }) },
      { input: () => ({ audience: { jurisdiction: 'US-TX' } }) },
      { input: (c) => ({ audience: { cardIds: [c.ny.card, c.outside.card] } }) },
    ],
  },
  // Pending launches: the one filed inside the pilot shows, the Texas draft never does (the
  // samples above draft a campaign and file a launch on every call: counts and ids move).
  list_campaigns: {
    samples: [
      s(() => ({ status: 'pending_approval', limit: 100 }), { volatile: ['counts', 'approvalId'] }),
    ],
  },
  get_audit_log: 'unscoped',
  list_approvals: 'unscoped',
  list_card_holds: {
    samples: [s(() => ({ limit: 100 }), { control: true })],
    outside: [{ input: (c) => ({ card: c.outside.heldCard }) }],
  },
  place_card_hold: {
    samples: [
      s((c) => ({ card: c.ny.card }), { volatile: ['approvalId', 'expiresAt', 'approvers'] }),
    ],
    outside: [
      { input: (c) => ({ card: c.outside.card, reason: 'outside' }) },
      { input: (c) => ({ alertId: c.outside.alertId }) },
    ],
  },
  release_card_hold: {
    samples: [
      s((c) => ({ card: c.ny.heldCard }), { volatile: ['approvalId', 'expiresAt', 'approvers'] }),
    ],
    outside: [{ input: (c) => ({ card: c.outside.heldCard }) }],
  },
  launch_campaign: {
    // The campaign drafted inside the pilot (in beforeAll).
    samples: [
      s(() => ({ campaignId: -1 }), { volatile: ['approvalId', 'expiresAt', 'approvers'] }),
    ],
    outside: [{ input: (c) => ({ campaignId: c.outside.campaignId }) }],
  },
  ledger_metrics: {
    samples: [
      s(() => ({ metric: 'redemptions', by: ['location'], from: threeYearsAgo }), {
        control: true,
        volatile: FRESH,
      }),
      s(() => ({ metric: 'cards_sold', by: ['month', 'jurisdiction'], from: threeYearsAgo }), {
        control: true,
        volatile: FRESH,
      }),
      s(() => ({ metric: 'liability', by: ['jurisdiction'] }), { control: true, volatile: FRESH }),
      s(() => ({ metric: 'fraud_alerts', by: ['location', 'rule'] }), {
        control: true,
        volatile: FRESH,
      }),
      s(() => ({ metric: 'fraud_loss', by: ['location'] }), { volatile: FRESH }),
      s(() => ({ metric: 'holds_active', by: ['location'] }), { control: true, volatile: FRESH }),
    ],
    outside: [
      { input: (c) => ({ metric: 'redemptions', location: TX_STORE(c) }) },
      { input: () => ({ metric: 'redemptions', jurisdiction: 'US-TX' }) },
      { input: () => ({ metric: 'redemptions', by: ['occasion'] }) },
    ],
  },
  reconcile_ledger: {
    samples: [
      s(() => ({ limit: 100 }), { control: true, volatile: [...FRESH, 'since'] }),
      s(() => ({ source: 'seed', days: 3650 }), { control: true, volatile: [...FRESH, 'since'] }),
    ],
    outside: [{ input: (c) => ({ location: TX_STORE(c) }) }],
  },
  prepare_journal_entries: { samples: [s(() => ({ month: lastMonth }))] },
  // The whole chain's books or none: refused under a pilot, nothing filed.
  post_journal_entries: {
    samples: [],
    outside: [{ input: () => ({ month: lastMonth }) }],
  },
  cli_journal: { samples: [s(() => ({ month: lastMonth }))] },
  cli_liability: {
    samples: [s(() => ({ by: 'jurisdiction' }), { control: true }), s(() => ({ by: 'channel' }))],
  },
  cli_forecast: { samples: [s(() => ({}), { control: true })] },
  cli_forecast_backtest: { samples: [s(() => ({ asOf: aYearAgo, horizon: 6 }))] },
  cli_fraud_scan: { samples: [s(() => ({}), { volatile: ['seconds'] })] },
  cli_fraud_alerts: { samples: [s(() => ({ status: 'all', limit: 1000 }), { control: true })] },
  cli_fraud_eval: { samples: [s((c) => ({ labels: c.labelsPath }))] },
  cli_segments: { samples: [s(() => ({}), { control: true })] },
  cli_dormant: {
    samples: [
      s(() => ({ days: 30, limit: 1000 }), {
        control: true,
        volatile: ['idleBefore', 'daysInactive'],
      }),
    ],
  },
  cli_dormant_backtest: { samples: [s(() => ({ backtest: halfAYearAgo }))] },
  cli_escheatment: { samples: [s(() => ({ horizonMonths: 120 }), { control: true })] },
  cli_affinity: { samples: [s(() => ({ minOrders: 1, limit: 500 }), { control: true })] },
  cli_ledger_summary: { samples: [s(() => ({}), { control: true })] },
  cli_upsell_outcomes: {
    samples: [s(() => ({}))],
    outside: [{ input: (c) => ({ location: TX_STORE(c) }) }],
  },
}

const EVERY_TOOL: readonly AnyTool[] = [...TOOLS, ...CLI_REPORTS]

describe('every tool declares how it keeps to the pilot', () => {
  it('has a sample (or is unscoped) here, and declares a rule matching it', () => {
    for (const tool of EVERY_TOOL) {
      const entry = SAMPLES[tool.name]
      expect(entry, `${tool.name} has no entry in SAMPLES`).toBeDefined()
      if (entry === 'unscoped') {
        expect(tool.pilot, tool.name).toMatchObject({ unscoped: expect.any(String) })
        expect((tool.pilot as { unscoped: string }).unscoped.length, tool.name).toBeGreaterThan(40)
      } else expect(tool.pilot, tool.name).toBe('scoped')
    }
    expect(Object.keys(SAMPLES).sort()).toEqual(EVERY_TOOL.map((t) => t.name).sort())
  })

  it('refuses every argument naming a place outside the pilot, in a tool that takes one', () => {
    const placeKeys = (tool: AnyTool): string[] => {
      const shape = tool.input.shape as Record<string, unknown>
      const keys = Object.keys(shape).filter((k) =>
        ['location', 'jurisdiction', 'jurisdictions', 'card', 'alertId'].includes(k),
      )
      if ('audience' in shape) keys.push('audience')
      return keys
    }
    for (const tool of EVERY_TOOL) {
      const entry = SAMPLES[tool.name]
      if (entry === 'unscoped' || entry === undefined || tool.name === 'escheatment_report')
        continue
      if (placeKeys(tool).length > 0)
        expect(entry.outside?.length ?? 0, `${tool.name} has no outside sample`).toBeGreaterThan(0)
    }
  })
})

/** A result with what changes from call to call taken out: new row ids, now-ish instants. */
function stable(value: unknown, volatile: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v) => stable(v, volatile))
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !volatile.includes(k))
        .map(([k, v]) => [k, stable(v, volatile)]),
    )
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value))
    return Math.abs(Date.parse(value) - Date.now()) < 10 * 60_000 ? '<now>' : value
  return value
}

for (const dialect of DIALECTS) {
  describe(`every tool under a pilot on ${dialect.name}`, () => {
    let database: Database
    let chain: PilotChain
    let pilotCall: (tool: string, input: unknown) => Promise<ToolOutcome>
    let chainCall: (tool: string, input: unknown) => Promise<ToolOutcome>
    let pilotCampaign = 0

    const executors = (config: PilotChain['pilot']) => {
      const kit = createToolkit(database, config)
      const reports = new ToolExecutor({
        database,
        config,
        approvals: kit.approvals,
        pii: kit.pii,
        tools: CLI_REPORTS,
      })
      return (tool: string, input: unknown) =>
        (tool.startsWith('cli_') ? reports : kit.executor).call(tool, input, {
          actor: ACTORS.admin,
          via: 'cli',
        })
    }

    useDatabase(
      dialect,
      async (d) => {
        database = d
        chain = await setUpPilotChain(d)
        pilotCall = executors(chain.pilot)
        chainCall = executors(chain.chain)
        const drafted = await pilotCall('draft_campaign', {
          audience: { minDaysInactive: 30, minBalanceCents: 1 },
        })
        if (!drafted.ok) throw new Error(drafted.error.message)
        pilotCampaign = (drafted.data as { campaignId: number }).campaignId
      },
      240_000,
    )

    const inputOf = (sample: Sample) => {
      const input = sample.input(chain)
      return input.campaignId === -1 ? { campaignId: pilotCampaign } : input
    }
    const data = (outcome: ToolOutcome) => {
      if (!outcome.ok)
        throw new Error(`${outcome.tool}: ${outcome.error.code}: ${outcome.error.message}`)
      return outcome.data
    }
    const samples = Object.entries(SAMPLES).flatMap(([tool, entry]) =>
      entry === 'unscoped' ? [] : entry.samples.map((sample) => ({ tool, sample })),
    )

    it('answers the same on the pilot however the rest of the chain changes, naming nothing outside it, where the whole chain answers differently', async () => {
      // Once each to settle what calls record (stored alerts, a confirmed alert, a pending
      // launch), then each answer is kept.
      for (const { tool, sample } of samples) data(await pilotCall(tool, inputOf(sample)))
      const before = new Map<string, unknown>()
      for (const [i, { tool, sample }] of samples.entries())
        before.set(
          `${i}`,
          stable(data(await pilotCall(tool, inputOf(sample))), sample.volatile ?? []),
        )
      const controls = new Map<string, unknown>()
      for (const [i, { tool, sample }] of samples.entries())
        if (sample.control)
          controls.set(`${i}`, stable(data(await chainCall(tool, inputOf(sample))), []))
      await poisonOutsidePilot(database, chain)
      for (const [i, { tool, sample }] of samples.entries()) {
        const label = `${tool} ${JSON.stringify(inputOf(sample))}`
        const after = data(await pilotCall(tool, inputOf(sample))) as Record<string, unknown>
        expect(after.scope, label).toMatchObject({
          pilot: true,
          jurisdictions: ['US-NY'],
          locations: [...chain.nyStores].sort(),
        })
        expect(stable(after, sample.volatile ?? []), label).toEqual(before.get(`${i}`))
        const text = JSON.stringify(after)
        for (const card of text.match(/gc_[A-Za-z0-9]+/g) ?? [])
          expect(chain.foreignCards.has(card), `${label} names ${card}`).toBe(false)
        if (!sample.cardHistory)
          for (const store of text.match(/\bloc_\d+\b/g) ?? [])
            expect(chain.foreignStores.has(store), `${label} names ${store}`).toBe(false)
      }
      // The control: the same questions of the whole chain see the change.
      for (const [i, { tool, sample }] of samples.entries())
        if (sample.control)
          expect(
            stable(data(await chainCall(tool, inputOf(sample))), []),
            `${tool} ${JSON.stringify(inputOf(sample))} without a pilot`,
          ).not.toEqual(controls.get(`${i}`))
    }, 240_000)

    it('refuses each argument outside the pilot, naming the pilot, and files nothing', async () => {
      const approvals = async () =>
        Number(
          (
            await database.db
              .selectFrom('approval_requests')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const alertBefore = await database.db
        .selectFrom('fraud_alerts')
        .select(['status', 'note'])
        .where('id', '=', chain.outside.alertId)
        .executeTakeFirstOrThrow()
      for (const [tool, entry] of Object.entries(SAMPLES)) {
        if (entry === 'unscoped') continue
        for (const refusal of entry.outside ?? []) {
          const filed = await approvals()
          const input = refusal.input(chain)
          const outcome = await pilotCall(tool, input)
          const label = `${tool} ${JSON.stringify(input)}`
          expect(outcome, label).toMatchObject({
            ok: false,
            error: { code: refusal.code ?? 'OUT_OF_SCOPE' },
          })
          if (outcome.ok) continue
          expect(outcome.error.message, label).toContain('outside the pilot')
          expect(outcome.error.message, label).toContain('US-NY')
          // Nothing of what the card holds: no amount.
          expect(outcome.error.message, label).not.toMatch(/\$\d/)
          expect(await approvals(), label).toBe(filed)
        }
      }
      // The alert outside was not triaged.
      expect(
        await database.db
          .selectFrom('fraud_alerts')
          .select(['status', 'note'])
          .where('id', '=', chain.outside.alertId)
          .executeTakeFirstOrThrow(),
      ).toEqual(alertBefore)
    })

    it('says the unscoped tools answer for the whole chain, and why', async () => {
      for (const [tool, input] of [
        ['get_audit_log', { limit: 5 }],
        ['list_approvals', { limit: 5 }],
        ['recommend_upsell', { totalCents: 12000, items: [] }],
      ] as const) {
        const result = data(await pilotCall(tool, input)) as { scope: Record<string, unknown> }
        expect(result.scope, tool).toMatchObject({ pilot: true, unscoped: expect.any(String) })
        expect(result.scope.summary, tool).toContain('covers the whole chain')
      }
    })
  })
}
