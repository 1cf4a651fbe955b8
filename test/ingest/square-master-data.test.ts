import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, liabilityAsOf } from '../../db/index.ts'
import { stubPseudonym, syncSquare, syncSquareMasterData } from '../../ingest/index.ts'
import { type FakeSquare, startFakeSquare } from '../fakes/square-api.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const TOKEN = 'EAAA-master-data-token'
const PII_KEY = 'square-master-data-key'

/** Locations as ListLocations documents them (address, coordinates, timezone). */
const LOCATIONS = [
  {
    id: 'LSQ1',
    name: 'Pike Place',
    address: {
      address_line_1: '85 Pike St',
      locality: 'Seattle',
      administrative_district_level_1: 'WA',
      postal_code: '98101',
      country: 'US',
    },
    coordinates: { latitude: 47.6097, longitude: -122.3422 },
    timezone: 'America/Los_Angeles',
    status: 'ACTIVE',
  },
  {
    id: 'LSQ2',
    name: 'Williamsburg',
    address: {
      locality: 'Brooklyn',
      administrative_district_level_1: 'New York',
      postal_code: '11211',
      country: 'US',
    },
    timezone: 'America/New_York',
    status: 'ACTIVE',
  },
  // Outside the US: no US-<state> jurisdiction, so skipped (and logged), not guessed.
  {
    id: 'LSQ3',
    name: 'Soho',
    address: { locality: 'London', postal_code: 'W1W 8QY', country: 'GB' },
    timezone: 'Europe/London',
  },
]

function customer(n: number, state: string) {
  return {
    id: `CSQ${n}`,
    created_at: `2024-0${(n % 9) + 1}-01T10:00:00.000Z`,
    given_name: `Given${n}`,
    family_name: `Family${n}`,
    email_address: `person${n}@example.com`,
    phone_number: `+1206555${String(1000 + n)}`,
    address: { administrative_district_level_1: state, postal_code: '98101', country: 'US' },
    segment_ids: ['8QJTJCE6AZSN6.REACHABLE'],
  }
}

function activation(n: number, location: string, amount: number) {
  return {
    id: `gcact_md_${n}`,
    type: 'ACTIVATE',
    gift_card_id: `gftc:md-${n}`,
    location_id: location,
    created_at: new Date(Date.UTC(2025, 4, 1, 10, n)).toISOString(),
    gift_card_balance_money: { amount, currency: 'USD' },
    activate_activity_details: { amount_money: { amount, currency: 'USD' } },
  }
}

for (const dialect of DIALECTS) {
  describe(`Square locations and customers on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let square: FakeSquare
    const options = () => ({
      baseUrl: square.url,
      accessToken: TOKEN,
      apiVersion: '2025-10-16',
      piiKey: PII_KEY,
      pageSize: 2,
      backoffMs: 1,
    })

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      square = await startFakeSquare(TOKEN, [
        activation(1, 'LSQ1', 5000),
        activation(2, 'LSQ2', 3000),
        activation(3, 'LSQ2', 2000),
      ])
    })
    afterAll(async () => {
      await square.close()
      await cleanup()
    })

    it('activities first: their stores are stubs of unknown jurisdiction', async () => {
      await syncSquare(database, options())
      expect(await liabilityAsOf(database.db, { groupBy: 'jurisdiction' })).toEqual([
        { key: 'unknown', cards: 3, liabilityCents: 10_000 },
      ])
    })

    it('ListLocations and ListCustomers (paged by cursor) enrich them in place', async () => {
      square.locations.push(...LOCATIONS)
      square.customers.push(customer(1, 'WA'), customer(2, 'NY'), customer(3, 'Narnia'))
      square.customers.push(customer(4, 'California'), customer(5, 'ca'))
      square.requests.length = 0
      const report = await syncSquareMasterData(database, options())
      expect(report.locations).toEqual({
        read: 3,
        skipped: 1,
        inserted: 0,
        updated: 2,
        enriched: 2,
        unchanged: 0,
      })
      expect(report.customers).toEqual({
        read: 5,
        skipped: 1,
        pages: 3,
        inserted: 4,
        updated: 0,
        enriched: 0,
        unchanged: 0,
      })
      expect(square.requests.map((r) => `${r.path}?${r.query}`)).toEqual([
        '/v2/locations?',
        '/v2/customers?limit=2',
        expect.stringMatching(/^\/v2\/customers\?limit=2&cursor=\w+/),
        expect.stringMatching(/^\/v2\/customers\?limit=2&cursor=\w+/),
      ])
      expect(
        square.requests.every(
          (r) => r.authorization === `Bearer ${TOKEN}` && r.version === '2025-10-16',
        ),
      ).toBe(true)
      expect(await liabilityAsOf(database.db, { groupBy: 'jurisdiction' })).toEqual([
        { key: 'US-NY', cards: 2, liabilityCents: 5_000 },
        { key: 'US-WA', cards: 1, liabilityCents: 5_000 },
      ])
      const pike = await database.db
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', 'LSQ1')
        .executeTakeFirstOrThrow()
      expect(pike).toMatchObject({
        name: 'Pike Place',
        city: 'Seattle',
        jurisdiction: 'US-WA',
        latitude: 47.6097,
        longitude: -122.3422,
        timezone: 'America/Los_Angeles',
        postal_code: '98101',
      })
      const customers = await database.db
        .selectFrom('customers')
        .select(['id', 'pseudonym', 'name', 'email', 'phone', 'address_state', 'created_at'])
        .orderBy('id')
        .execute()
      expect(customers.map((c) => [c.id, c.address_state])).toEqual([
        ['CSQ1', 'US-WA'],
        ['CSQ2', 'US-NY'],
        ['CSQ4', 'US-CA'],
        ['CSQ5', 'US-CA'],
      ])
      expect(customers[0]).toEqual({
        id: 'CSQ1',
        pseudonym: stubPseudonym('CSQ1', PII_KEY),
        name: 'Given1 Family1',
        email: 'person1@example.com',
        phone: '+12065551001',
        address_state: 'US-WA',
        created_at: '2024-02-01T10:00:00.000Z',
      })
    })

    it('a second sync changes nothing', async () => {
      const again = await syncSquareMasterData(database, options())
      expect(again.locations).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 })
      expect(again.customers).toMatchObject({ inserted: 0, updated: 0, unchanged: 4 })
    })

    it('retries 429 and 5xx, and refuses a bad token with Square’s error', async () => {
      square.failNext = [429, 503]
      const report = await syncSquareMasterData(database, { ...options(), sleep: async () => {} })
      expect(report.retries).toBe(2)
      await expect(
        syncSquareMasterData(database, { ...options(), accessToken: 'wrong' }),
      ).rejects.toThrow(
        /Square refused ListLocations \(401\): UNAUTHORIZED: This request could not be authorized/,
      )
    })
  })
}
