import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FRAUD_PATTERNS, parseDate } from '../../core/index.ts'
import { countAll, type Database } from '../../db/index.ts'
import { type ChainStats, ledgerChecksum, measureChain, readLabels } from '../../synth/measure.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS } from '../helpers/dialects.ts'

/** 5,000 cards over three full calendar years: enough for every statistic to settle. */
const CHAIN = { cards: 5000, seed: 7, startMs: parseDate('2023-01-01'), months: 36 }

const checksums: Record<string, string> = {}

for (const dialect of DIALECTS) {
  describe(`the synthetic chain on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let stats: ChainStats
    const dir = mkdtempSync(join(tmpdir(), 'giftcards-labels-'))
    const labelsPath = join(dir, 'labels.jsonl')

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      await seedChain(database, { ...CHAIN, labelsPath })
      stats = await measureChain(database, labelsPath)
    }, 120_000)
    afterAll(async () => {
      await cleanup()
      rmSync(dir, { recursive: true, force: true })
    })

    it('writes the cards asked for, about ten transactions each, 20–60 stores in 8+ jurisdictions', async () => {
      expect(stats.cards).toBe(CHAIN.cards)
      expect(stats.transactionsPerCard).toBeGreaterThan(8)
      expect(stats.transactionsPerCard).toBeLessThan(13)
      const locations = await database.db.selectFrom('locations').select(['jurisdiction']).execute()
      expect(locations.length).toBeGreaterThanOrEqual(20)
      expect(locations.length).toBeLessThanOrEqual(60)
      const jurisdictions = new Set(locations.map((l) => l.jurisdiction))
      expect(jurisdictions.size).toBeGreaterThanOrEqual(8)
      for (const required of ['US-CA', 'US-DE', 'US-NY', 'US-TX', 'US-FL', 'US-WA'])
        expect(jurisdictions).toContain(required)
      const { n: terminals } = await database.db
        .selectFrom('terminals')
        .select(countAll().as('n'))
        .executeTakeFirstOrThrow()
      const { n: employees } = await database.db
        .selectFrom('employees')
        .select(countAll().as('n'))
        .executeTakeFirstOrThrow()
      expect(terminals).toBeGreaterThanOrEqual(locations.length * 3)
      expect(employees).toBeGreaterThanOrEqual(locations.length * 6)
    })

    it('sells about 35% of a year’s cards in November and December (±5 points)', () => {
      expect(stats.seasonalShare).toBeGreaterThan(0.3)
      expect(stats.seasonalShare).toBeLessThan(0.4)
    })

    it('follows the redemption curve of docs/domain.md §1 within stated tolerances', () => {
      // ~30% of cards used within a month (±8 points; self-use cards are spent at once)
      expect(stats.usedWithinMonth).toBeGreaterThan(0.22)
      expect(stats.usedWithinMonth).toBeLessThan(0.38)
      // ~70% of value within 6 months and ~80% within 12 (±6 points)
      expect(stats.valueRedeemed.m6).toBeGreaterThan(0.64)
      expect(stats.valueRedeemed.m6).toBeLessThan(0.76)
      expect(stats.valueRedeemed.m12).toBeGreaterThan(0.74)
      expect(stats.valueRedeemed.m12).toBeLessThan(0.86)
      expect(stats.valueRedeemed.m1).toBeLessThan(stats.valueRedeemed.m6)
      // ~6% never used (±2.5 points)
      expect(stats.neverUsed).toBeGreaterThan(0.035)
      expect(stats.neverUsed).toBeLessThan(0.085)
      // partial redemptions leave small residuals, and January spikes after the holidays
      expect(stats.smallResidual).toBeGreaterThan(0.2)
      expect(stats.postHolidaySpike).toBeGreaterThan(1.3)
    })

    it('keeps every balance equal to the sum of its transactions, never negative', () => {
      expect(stats.balanceMismatches).toBe(0)
      expect(stats.negativeBalances).toBe(0)
    })

    it('injects every fraud pattern into 0.5–1% of cards', () => {
      expect(stats.fraud?.share).toBeGreaterThanOrEqual(0.005)
      expect(stats.fraud?.share).toBeLessThanOrEqual(0.01)
      for (const pattern of FRAUD_PATTERNS)
        expect(stats.fraud?.byPattern[pattern] ?? 0, pattern).toBeGreaterThan(0)
    })

    it('writes labels that point at real events, and keeps them out of the database', async () => {
      const labels = readLabels(labelsPath)
      for (const label of labels.slice(0, 60)) {
        const event = await database.db
          .selectFrom('gift_card_transactions')
          .select(['card_id', 'occurred_at'])
          .where('source', '=', 'seed')
          .where('event_id', '=', label.first_event_id)
          .executeTakeFirst()
        expect(event?.card_id).toBe(label.card_id)
        expect(event?.occurred_at).toBe(label.occurred_at)
      }
      // No table or column could hold the ground truth, and no alert exists before detection.
      const tables = await database.db.introspection.getTables()
      const columns = tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`))
      expect(columns.filter((c) => /fraud_label|pattern|is_fraud|ground_truth/i.test(c))).toEqual(
        [],
      )
      const cards = JSON.stringify(await database.db.selectFrom('gift_cards').selectAll().execute())
      const transactions = JSON.stringify(
        await database.db.selectFrom('gift_card_transactions').selectAll().execute(),
      )
      for (const pattern of FRAUD_PATTERNS) {
        expect(cards).not.toContain(pattern)
        expect(transactions).not.toContain(pattern)
      }
      const { n: alerts } = await database.db
        .selectFrom('fraud_alerts')
        .select(countAll().as('n'))
        .executeTakeFirstOrThrow()
      expect(alerts).toBe(0)
    })

    it('keeps PII in customers only, with example.com emails and 555-01xx phones', async () => {
      const customers = await database.db
        .selectFrom('customers')
        .select(['pseudonym', 'name', 'email', 'phone'])
        .limit(200)
        .execute()
      for (const c of customers) {
        expect(c.pseudonym).toMatch(/^cust_[0-9a-f]{8}$/)
        expect(c.email).toMatch(/@example\.com$/)
        expect(c.phone).toMatch(/^\+1-\d{3}-555-01\d{2}$/)
      }
      const names = new Set(customers.map((c) => c.name))
      const cardText = JSON.stringify(
        await database.db.selectFrom('gift_cards').selectAll().limit(500).execute(),
      )
      const txText = JSON.stringify(
        await database.db.selectFrom('gift_card_transactions').selectAll().limit(2000).execute(),
      )
      for (const name of names) {
        expect(cardText).not.toContain(name)
        expect(txText).not.toContain(name)
      }
    })

    it('is reproducible: the same seed gives the same checksum, another seed another', async () => {
      const first = await ledgerChecksum(database)
      await seedChain(database, { ...CHAIN, reset: true })
      expect(await ledgerChecksum(database)).toBe(first)
      checksums[dialect.name] = first
      await seedChain(database, { ...CHAIN, seed: CHAIN.seed + 1, reset: true })
      expect(await ledgerChecksum(database)).not.toBe(first)
    }, 120_000)

    it('refuses to seed over a ledger without --reset', async () => {
      await expect(seedChain(database, CHAIN)).rejects.toThrow(/already has 5000 cards.*--reset/)
    })
  })
}

describe('engines agree', () => {
  it.runIf(DIALECTS.length > 1)(
    'SQLite and PostgreSQL hold the same chain for the same seed',
    () => {
      expect(checksums.sqlite).toBeDefined()
      expect(checksums.postgres).toBe(checksums.sqlite)
    },
  )
})
