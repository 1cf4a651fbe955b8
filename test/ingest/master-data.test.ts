import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escheatmentReport, unknownJurisdictionNote } from '../../analytics/index.ts'
import { usState } from '../../core/index.ts'
import {
  type Database,
  endOfChainDay,
  liabilityAsOf,
  summariseUnknown,
  unknownJurisdictionLiability,
} from '../../db/index.ts'
import { importFile, importMasterData, stubPseudonym } from '../../ingest/index.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-master-data-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const PII_KEY = 'master-data-test-key'

/**
 * A hand-built chain: four stores in four states, six cards with known balances and dates.
 * gc-f is spent to zero; the others hold 70 + 50 + 80 + 40 + 25 = $265.00.
 */
const EVENTS = file(
  'events.csv',
  `event_id,occurred_at,card_id,type,amount,currency,location_id,customer_id
a1,2020-02-10T15:00:00Z,gc-a,activate,100.00,USD,S-SF,CA1
a2,2020-06-01T15:00:00Z,gc-a,redeem,30.00,USD,S-SF,CA1
b1,2021-03-15T15:00:00Z,gc-b,activate,50.00,USD,S-NYC,NY1
c1,2022-01-20T15:00:00Z,gc-c,activate,80.00,USD,S-AUS,
d1,2023-05-05T15:00:00Z,gc-d,activate,40.00,USD,S-MIA,FL1
e1,2024-07-01T15:00:00Z,gc-e,activate,25.00,USD,S-NYC,NY2
f1,2020-01-01T15:00:00Z,gc-f,activate,10.00,USD,S-SF,
f2,2020-01-02T15:00:00Z,gc-f,redeem,10.00,USD,S-SF,
`,
)

/** Three of the four stores, the state written three ways. */
const THREE_STORES = file(
  'three-stores.csv',
  `location_id,name,city,state,postal_code,country,latitude,longitude,timezone
S-SF,Union Square,San Francisco,California,94108,US,37.7879,-122.4075,America/Los_Angeles
S-NYC,Midtown,New York,ny,10018,US,,,
S-AUS,Congress Avenue,Austin,TX,78701,USA,30.2672,-97.7431,
`,
)
const ALL_STORES = file(
  'all-stores.csv',
  `location_id,name,city,state,postal_code,country,latitude,longitude,timezone
S-SF,Union Square,San Francisco,California,94108,US,37.7879,-122.4075,America/Los_Angeles
S-NYC,Midtown,New York,ny,10018,US,,,
S-AUS,Congress Avenue,Austin,TX,78701,USA,30.2672,-97.7431,
S-MIA,Brickell,Miami,FL,33131,,25.7617,-80.1918,America/New_York
`,
)
/** The owners: CA1 lives in New York, NY1 in Delaware, FL1 in Florida, NY2 in New York. */
const CUSTOMERS = file(
  'customers.csv',
  `customer_id,name,email,phone,state,postal_code,segment,created_at
CA1,Ann Lee,Ann.Lee@example.com,+1 716 555 0179,New York,14201,vip,2019-12-01
NY1,Bo Chen,bo@example.org,(302) 555-0100,DE,19801,,2021-03-01T09:00:00Z
FL1,Cy Diaz,cy@example.net,,florida,33131,,
NY2,Di Evans,,,US-NY,,employee,
NEW1,Ed Fox,ed@example.com,,WA,98101,,2024-01-01
`,
)
const AS_OF = '2026-12-01T00:00:00.000Z'

for (const dialect of DIALECTS) {
  describe(`master data on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    const load = (path: string, format: 'locations' | 'customers') =>
      importMasterData(database, path, { format, piiKey: PII_KEY })
    const byJurisdiction = async (asOf?: string) =>
      (
        await liabilityAsOf(database.db, { groupBy: 'jurisdiction', ...(asOf ? { asOf } : {}) })
      ).map((r) => [r.key, r.cards, r.liabilityCents])

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      const report = await importFile(database, EVENTS, { format: 'csv', piiKey: PII_KEY })
      expect(report.applied).toBe(8)
    })
    afterAll(() => cleanup())

    it('before master data: every card is at a store of unknown jurisdiction, and the reports say how much', async () => {
      expect(await byJurisdiction()).toEqual([['unknown', 5, 26_500]])
      expect(await unknownJurisdictionLiability(database.db)).toEqual({
        cards: 5,
        liabilityCents: 26_500,
        stores: 4,
        storeIds: ['S-AUS', 'S-NYC', 'S-SF', 'S-MIA'],
        withoutStore: { cards: 0, liabilityCents: 0 },
      })
      const report = await escheatmentReport(database, { asOf: AS_OF })
      // No owner address is known: the state of incorporation (US-DE) claims every card.
      expect(report.jurisdictions).toEqual([
        {
          jurisdiction: 'US-DE',
          status: 'reportable',
          rule: 'reportable after 5 years of dormancy',
          cards: 3,
          amountCents: 20_000,
          overdueCards: 2,
        },
      ])
      expect(report.unknownJurisdiction).toMatchObject({ cards: 5, liabilityCents: 26_500 })
      expect(report.unknownJurisdiction.stores).toBe(4)
      expect(report.ownerAddressUnknown).toEqual({ cards: 4, amountCents: 18_500 })
    })

    it('a locations file enriches the stub stores in place: liability moves to their states, now and on past days', async () => {
      const report = await load(THREE_STORES, 'locations')
      expect(report).toMatchObject({
        rows: 3,
        inserted: 0,
        updated: 3,
        enriched: 3,
        unchanged: 0,
        rejectedTotal: 0,
      })
      expect(await byJurisdiction()).toEqual([
        ['US-TX', 1, 8_000],
        ['US-NY', 2, 7_500],
        ['US-CA', 1, 7_000],
        ['unknown', 1, 4_000],
      ])
      // The one store still a stub is named, with what it holds.
      expect(await unknownJurisdictionLiability(database.db)).toEqual({
        cards: 1,
        liabilityCents: 4_000,
        stores: 1,
        storeIds: ['S-MIA'],
        withoutStore: { cards: 0, liabilityCents: 0 },
      })
      await load(ALL_STORES, 'locations')
      expect(await byJurisdiction()).toEqual([
        ['US-TX', 1, 8_000],
        ['US-NY', 2, 7_500],
        ['US-CA', 1, 7_000],
        ['US-FL', 1, 4_000],
      ])
      // At the end of a past chain day (the rollup's path when the day is one it keeps).
      expect(await byJurisdiction(await endOfChainDay(database.db, '2023-12-31'))).toEqual([
        ['US-TX', 1, 8_000],
        ['US-CA', 1, 7_000],
        ['US-NY', 1, 5_000],
        ['US-FL', 1, 4_000],
      ])
      expect(await unknownJurisdictionLiability(database.db)).toEqual({
        cards: 0,
        liabilityCents: 0,
        stores: 0,
        storeIds: [],
        withoutStore: { cards: 0, liabilityCents: 0 },
      })
      const sf = await database.db
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', 'S-SF')
        .executeTakeFirstOrThrow()
      expect(sf).toMatchObject({
        name: 'Union Square',
        city: 'San Francisco',
        region: 'West',
        jurisdiction: 'US-CA',
        timezone: 'America/Los_Angeles',
        latitude: 37.7879,
        longitude: -122.4075,
        postal_code: '94108',
        country: 'US',
      })
      // No time zone given: the state's, not the stub's UTC.
      const nyc = await database.db
        .selectFrom('locations')
        .select(['timezone', 'latitude'])
        .where('id', '=', 'S-NYC')
        .executeTakeFirstOrThrow()
      expect(nyc).toEqual({ timezone: 'America/New_York', latitude: null })
    })

    it('the same file again changes nothing and says so', async () => {
      expect(await load(ALL_STORES, 'locations')).toMatchObject({
        inserted: 0,
        updated: 0,
        unchanged: 4,
      })
    })

    it('a customers file gives owners their address states: escheatment deadlines by the right claimant', async () => {
      const stub = await database.db
        .selectFrom('customers')
        .select(['pseudonym', 'name'])
        .where('id', '=', 'CA1')
        .executeTakeFirstOrThrow()
      expect(stub).toEqual({ pseudonym: stubPseudonym('CA1', PII_KEY), name: null })

      const report = await load(CUSTOMERS, 'customers')
      expect(report).toMatchObject({ rows: 5, inserted: 1, updated: 4, enriched: 4, unchanged: 0 })
      const rows = await database.db
        .selectFrom('customers')
        .select([
          'id',
          'pseudonym',
          'name',
          'email',
          'phone',
          'address_state',
          'segment',
          'created_at',
        ])
        .orderBy('id')
        .execute()
      expect(rows.find((r) => r.id === 'CA1')).toEqual({
        id: 'CA1',
        // A stub keeps the pseudonym it was made with; a new customer gets one the same way.
        pseudonym: stubPseudonym('CA1', PII_KEY),
        name: 'Ann Lee',
        email: 'ann.lee@example.com',
        phone: '+1 716 555 0179',
        address_state: 'US-NY',
        segment: 'vip',
        created_at: '2019-12-01T00:00:00.000Z',
      })
      expect(rows.find((r) => r.id === 'NEW1')?.pseudonym).toBe(stubPseudonym('NEW1', PII_KEY))
      expect(rows.map((r) => [r.id, r.address_state])).toEqual([
        ['CA1', 'US-NY'],
        ['FL1', 'US-FL'],
        ['NEW1', 'US-WA'],
        ['NY1', 'US-DE'],
        ['NY2', 'US-NY'],
      ])

      const escheat = await escheatmentReport(database, { asOf: AS_OF })
      expect(escheat.jurisdictions).toEqual([
        {
          jurisdiction: 'US-DE',
          status: 'reportable',
          rule: 'reportable after 5 years of dormancy',
          cards: 2,
          amountCents: 13_000,
          overdueCards: 1,
        },
        {
          jurisdiction: 'US-NY',
          status: 'reportable',
          rule: 'reportable after 5 years of inactivity, expiry or not',
          cards: 1,
          amountCents: 7_000,
          overdueCards: 1,
        },
        {
          jurisdiction: 'US-FL',
          status: 'exempt',
          rule: 'unredeemed gift certificates belong to the issuer',
          cards: 1,
          amountCents: 4_000,
          overdueCards: 0,
        },
      ])
      expect(escheat.cards.map((c) => [c.cardId, c.jurisdiction, c.basis, c.deadline])).toEqual([
        ['gc-a', 'US-NY', 'owner_address', '2025-06-01T15:00:00.000Z'],
        ['gc-b', 'US-DE', 'owner_address', '2026-03-15T15:00:00.000Z'],
        ['gc-c', 'US-DE', 'incorporation', '2027-01-20T15:00:00.000Z'],
      ])
      expect(escheat.ownerAddressUnknown).toEqual({ cards: 0, amountCents: 0 })
      expect(await load(CUSTOMERS, 'customers')).toMatchObject({
        inserted: 0,
        updated: 0,
        unchanged: 5,
      })
    })

    it('name, email and phone land in customers only', async () => {
      for (const table of ['gift_cards', 'gift_card_transactions', 'locations'] as const) {
        const rows = await database.db.selectFrom(table).selectAll().execute()
        const text = JSON.stringify(rows)
        for (const pii of ['Ann Lee', 'ann.lee@example.com', '555 0179', 'Bo Chen'])
          expect(text).not.toContain(pii)
      }
    })

    it('reports bad rows by line and field, loads the good ones, and keeps the rest of the row unread', async () => {
      const bad = file(
        `bad-${dialect.name}.csv`,
        `location_id,name,city,state,latitude,longitude,timezone,country,postal_code
S-DEN,Larimer,Denver,co,39.7,-104.9,,,
S-X1,Nowhere,Nowhere,Narnia,,,,,
S-X2,Half,Seattle,WA,47.6,,,,
,No id,Seattle,WA,,,,,
S-X3,Far,Paris,CA,,,,France,
S-X4,Zone,Portland,OR,,,Mars/Olympus,,
S-X5,Zip,Portland,OR,,,,,9720
S-X6,Lat,Portland,OR,95.1,10,,,
S-DEN,Again,Denver,CO,,,,,
S-BOS,Back Bay,Boston,"Massachusetts",,,,,02116
`,
      )
      const report = await load(bad, 'locations')
      expect(report.rejected).toEqual([
        {
          line: 3,
          field: 'state',
          reason: '"Narnia" is not a US state code or name (CA, California)',
        },
        {
          line: 4,
          field: 'longitude',
          reason: 'is needed with the other coordinate (give both or neither)',
        },
        { line: 5, field: 'location_id', reason: 'is empty' },
        {
          line: 6,
          field: 'country',
          reason: 'only US stores are supported (the jurisdiction is US-<state>)',
        },
        { line: 7, field: 'timezone', reason: 'is not an IANA time zone (America/New_York)' },
        { line: 8, field: 'postal_code', reason: 'must be a US ZIP code (12345 or 12345-6789)' },
        { line: 9, field: 'latitude', reason: 'must be between -90 and 90' },
        { line: 10, field: 'location_id', reason: '"S-DEN" was already given on line 2' },
      ])
      expect(report).toMatchObject({ rows: 10, inserted: 2, rejectedTotal: 8 })
      const loaded = await database.db
        .selectFrom('locations')
        .select(['id', 'jurisdiction', 'region', 'timezone'])
        .where('id', 'in', ['S-DEN', 'S-BOS', 'S-X1'])
        .orderBy('id')
        .execute()
      expect(loaded).toEqual([
        { id: 'S-BOS', jurisdiction: 'US-MA', region: 'Northeast', timezone: 'America/New_York' },
        { id: 'S-DEN', jurisdiction: 'US-CO', region: 'West', timezone: 'America/Denver' },
      ])
    })

    it('refuses a header it cannot read before writing anything', async () => {
      await expect(
        load(file('no-state.csv', 'location_id,name,city\nX,Y,Z\n'), 'locations'),
      ).rejects.toThrow(
        'the locations header lacks state (its columns are location_id,name,city,state,postal_code,country,latitude,longitude,timezone)',
      )
      await expect(
        load(file('extra.csv', 'customer_id,name,ssn\nX,Y,Z\n'), 'customers'),
      ).rejects.toThrow('the customers header has unknown columns: ssn')
      await expect(load(join(dir, 'missing.csv'), 'customers')).rejects.toThrow(/cannot read/)
    })

    it('a bad customer row names the field, never echoing the email or phone', async () => {
      const report = await load(
        file(
          `bad-customers-${dialect.name}.csv`,
          `customer_id,email,phone,state,created_at
Z1,zed@@example,,,
Z2,,call me maybe,,
Z3,,,Ontario,
Z4,,,,yesterday
`,
        ),
        'customers',
      )
      expect(report.rejected.map((r) => `line ${r.line}: ${r.field}: ${r.reason}`)).toEqual([
        'line 2: email: is not an email address',
        'line 3: phone: is not a phone number',
        'line 4: state: "Ontario" is not a US state code or name (CA, California)',
        'line 5: created_at: must be an ISO 8601 date or timestamp',
      ])
    })
  })
}

describe('US states in master data', () => {
  it('reads a code in any case, the jurisdiction or the full name; nothing else', () => {
    for (const text of ['California', 'CA', 'ca', ' california ', 'US-CA', 'us-ca'])
      expect(usState(text)?.jurisdiction).toBe('US-CA')
    expect(usState('New  York')?.jurisdiction).toBe('US-NY')
    expect(usState('District of Columbia')?.jurisdiction).toBe('US-DC')
    for (const text of ['Calif', 'XX', '', 'Ontario', 'US-']) expect(usState(text)).toBeUndefined()
  })
})

describe('the unknown-jurisdiction note', () => {
  it('names stub stores and says apart the cards that name no store, which master data cannot place', () => {
    const summary = summariseUnknown(
      [
        { key: 'S1', cards: 3, liabilityCents: 9_000 },
        { key: 'unknown', cards: 2, liabilityCents: 1_250 },
        { key: 'S2', cards: 1, liabilityCents: 500 },
        { key: 'S3', cards: 4, liabilityCents: 7_000 },
      ],
      new Map([
        ['S1', 'unknown'],
        ['S3', 'US-CA'],
      ]),
    )
    expect(summary).toEqual({
      cards: 4,
      liabilityCents: 9_500,
      stores: 2,
      storeIds: ['S1', 'S2'],
      withoutStore: { cards: 2, liabilityCents: 1_250 },
    })
    expect(unknownJurisdictionNote(summary)).toBe(
      '4 cards, $95.00 at 2 stores of unknown jurisdiction (load store master data: giftcards import FILE --format locations); 2 cards, $12.50 name no issuing store, so no state (an export without location_id, or online sales)',
    )
    expect(
      unknownJurisdictionNote({ ...summary, stores: 0, cards: 0, liabilityCents: 0, storeIds: [] }),
    ).toBe(
      '2 cards, $12.50 name no issuing store, so no state (an export without location_id, or online sales)',
    )
    expect(
      unknownJurisdictionNote({
        cards: 0,
        liabilityCents: 0,
        stores: 0,
        storeIds: [],
        withoutStore: { cards: 0, liabilityCents: 0 },
      }),
    ).toBeUndefined()
  })
})
