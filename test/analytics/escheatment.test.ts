import { describe, expect, it } from 'vitest'
import { escheatmentCsv, escheatmentReport } from '../../analytics/index.ts'
import type { Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** One card per rule, each with a known deadline relative to 2025-01-01 + 6 months. */
async function writeCards(database: Database): Promise<void> {
  const states = { DE: 'US-DE', NY: 'US-NY', CA: 'US-CA', TX: 'US-TX', FL: 'US-FL', IL: 'US-IL' }
  await database.db
    .insertInto('customers')
    .values(
      Object.entries(states).map(([key, state]) => ({
        id: `cust-${key}`,
        pseudonym: `cust_${key.toLowerCase()}`,
        name: null,
        email: null,
        phone: null,
        address_state: state,
        home_location_id: null,
        created_at: '2018-01-01T00:00:00.000Z',
      })),
    )
    .execute()
  const card = (
    id: string,
    holder: string | null,
    lastActivity: string,
    expires: string | null,
    balance = 1000,
  ) => ({
    id,
    source: 'import' as const,
    gan_last4: '0000',
    initial_value_cents: 5000,
    balance_cents: balance,
    currency: 'USD',
    status: 'active' as const,
    issued_at: '2018-06-01T00:00:00.000Z',
    expires_at: expires,
    holder_customer_id: holder,
    last_activity_at: lastActivity,
    updated_at: lastActivity,
  })
  await database.db
    .insertInto('gift_cards')
    .values([
      card('de-due', 'cust-DE', '2020-03-01T00:00:00.000Z', null),
      card('ny-overdue', 'cust-NY', '2019-06-01T00:00:00.000Z', null),
      card('ca-no-expiry', 'cust-CA', '2019-01-01T00:00:00.000Z', null),
      card('ca-expiry', 'cust-CA', '2021-10-01T00:00:00.000Z', '2030-01-01T00:00:00.000Z'),
      card('tx-expires', 'cust-TX', '2024-06-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z'),
      card('fl', 'cust-FL', '2015-01-01T00:00:00.000Z', null, 700),
      card('nobody', null, '2019-01-01T00:00:00.000Z', null),
      card('de-recent', 'cust-DE', '2024-01-01T00:00:00.000Z', null),
      card('il-default', 'cust-IL', '2020-05-01T00:00:00.000Z', null),
      card('de-empty', 'cust-DE', '2015-01-01T00:00:00.000Z', null, 0),
    ])
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`escheatment on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (opened) => {
      database = opened
      await writeCards(database)
    })

    it('lists each card reaching its deadline under the jurisdiction with the first claim', async () => {
      const report = await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 })
      expect(
        report.cards.map((c) => [
          c.cardId,
          c.jurisdiction,
          c.basis,
          c.deadline.slice(0, 10),
          c.overdue,
        ]),
      ).toEqual([
        ['nobody', 'US-DE', 'incorporation', '2024-01-01', true],
        ['ny-overdue', 'US-NY', 'owner_address', '2024-06-01', true],
        ['ca-expiry', 'US-CA', 'owner_address', '2024-10-01', true],
        ['de-due', 'US-DE', 'owner_address', '2025-03-01', false],
        ['tx-expires', 'US-TX', 'owner_address', '2025-03-01', false],
        ['il-default', 'US-IL', 'owner_address', '2025-05-01', false],
      ])
    })

    it('totals by jurisdiction, with exempt ones shown as exempt', async () => {
      const report = await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 })
      const de = report.jurisdictions.find((j) => j.jurisdiction === 'US-DE')
      expect(de).toMatchObject({
        status: 'reportable',
        cards: 2,
        amountCents: 2000,
        overdueCards: 1,
      })
      expect(report.jurisdictions.find((j) => j.jurisdiction === 'US-FL')).toMatchObject({
        status: 'exempt',
        cards: 1,
        amountCents: 700,
      })
      expect(report.jurisdictions.at(-1)?.status).toBe('exempt')
      // A different state of incorporation takes the card nobody owns.
      const elsewhere = await escheatmentReport(database, {
        asOf: '2025-01-01',
        horizonMonths: 6,
        incorporationState: 'US-WA',
      })
      expect(elsewhere.cards.find((c) => c.cardId === 'nobody')).toBeUndefined()
      expect(elsewhere.jurisdictions.find((j) => j.jurisdiction === 'US-WA')).toMatchObject({
        status: 'exempt',
        cards: 1,
      })
    })

    it('writes a CSV row per card', async () => {
      const csv = escheatmentCsv(
        await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 }),
      )
      const lines = csv.trim().split('\n')
      expect(lines[0]).toBe('card_id,jurisdiction,basis,balance,last_activity_at,deadline,overdue')
      expect(lines).toContain(
        'de-due,US-DE,owner_address,10.00,2020-03-01T00:00:00.000Z,2025-03-01T00:00:00.000Z,no',
      )
      expect(lines).toHaveLength(7)
    })
  })
}
