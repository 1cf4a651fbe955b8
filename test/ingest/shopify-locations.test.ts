import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Database, liabilityAsOf } from '../../db/index.ts'
import { importFile, syncShopifyLocations } from '../../ingest/index.ts'
import { databaseUrl, runCli } from '../cli/run-cli.ts'
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../fakes/shopify-admin.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const TOKEN = 'shpat_master_data'
const dir = mkdtempSync(join(tmpdir(), 'giftcards-shopify-locations-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const EVENTS = join(dir, 'events.csv')
writeFileSync(
  EVENTS,
  `event_id,occurred_at,card_id,type,amount,currency,location_id
s1,2025-02-01T15:00:00Z,shopify:gc-1,activate,60.00,USD,shopify:111
s2,2025-02-02T15:00:00Z,shopify:gc-2,activate,40.00,USD,shopify:222
s3,2025-02-03T15:00:00Z,shopify:gc-3,activate,15.00,USD,shopify:333
`,
)

/** Location nodes as the Admin GraphQL API returns them for our query. */
const LOCATIONS = [
  {
    id: 'gid://shopify/Location/111',
    name: 'Pearl District',
    address: {
      city: 'Portland',
      provinceCode: 'OR',
      zip: '97209',
      countryCode: 'US',
      latitude: 45.5283,
      longitude: -122.6819,
    },
  },
  {
    id: 'gid://shopify/Location/222',
    name: 'Wicker Park',
    address: {
      city: 'Chicago',
      provinceCode: 'IL',
      zip: '60622',
      countryCode: 'US',
      latitude: null,
      longitude: null,
    },
  },
  // A warehouse in Canada: no US state, so skipped rather than guessed.
  {
    id: 'gid://shopify/Location/444',
    name: 'Toronto warehouse',
    address: { city: 'Toronto', provinceCode: 'ON', zip: 'M5V 2T6', countryCode: 'CA' },
  },
]

for (const dialect of DIALECTS) {
  describe(`Shopify locations on ${dialect.name}`, () => {
    let database: Database
    let cleanup: () => Promise<void>
    let shopify: FakeShopifyAdmin
    const options = () => ({
      baseUrl: shopify.url,
      accessToken: TOKEN,
      apiVersion: '2025-10',
      pageSize: 2,
    })

    beforeAll(async () => {
      const opened = await dialect.open()
      database = opened.database
      cleanup = opened.cleanup
      shopify = await startFakeShopifyAdmin(TOKEN)
      shopify.locations.push(...LOCATIONS)
      await importFile(database, EVENTS, { format: 'csv' })
    })
    afterAll(async () => {
      await shopify.close()
      await cleanup()
    })

    it('reads every page of the locations query and fills in the shopify: stubs', async () => {
      const report = await syncShopifyLocations(database, options())
      expect(report).toEqual({
        read: 3,
        skipped: 1,
        pages: 2,
        inserted: 0,
        updated: 2,
        enriched: 2,
        unchanged: 0,
        retries: 0,
      })
      expect(shopify.requests.map((r) => [r.path, r.token, r.variables.first])).toEqual([
        ['/admin/api/2025-10/graphql.json', TOKEN, 2],
        ['/admin/api/2025-10/graphql.json', TOKEN, 2],
      ])
      expect(shopify.requests[0]?.variables.after).toBeNull()
      expect(shopify.requests[1]?.variables.after).toEqual(expect.any(String))
      expect(await liabilityAsOf(database.db, { groupBy: 'jurisdiction' })).toEqual([
        { key: 'US-OR', cards: 1, liabilityCents: 6_000 },
        { key: 'US-IL', cards: 1, liabilityCents: 4_000 },
        { key: 'unknown', cards: 1, liabilityCents: 1_500 },
      ])
      const pearl = await database.db
        .selectFrom('locations')
        .selectAll()
        .where('id', '=', 'shopify:111')
        .executeTakeFirstOrThrow()
      expect(pearl).toMatchObject({
        name: 'Pearl District',
        city: 'Portland',
        jurisdiction: 'US-OR',
        region: 'West',
        timezone: 'America/Los_Angeles',
        latitude: 45.5283,
        postal_code: '97209',
      })
    })

    it('a second sync changes nothing; a wrong token is refused with Shopify’s message', async () => {
      expect(await syncShopifyLocations(database, options())).toMatchObject({
        updated: 0,
        inserted: 0,
        unchanged: 2,
      })
      await expect(
        syncShopifyLocations(database, { ...options(), accessToken: 'shpat_wrong' }),
      ).rejects.toThrow(/Shopify refused the locations query \(401\): .*Invalid API key/)
    })

    it('giftcards sync shopify needs the Admin API configured, then reports what it did', async () => {
      const env = { DATABASE_URL: databaseUrl(database) }
      const unconfigured = await runCli(['sync', 'shopify'], env)
      expect(unconfigured.code).not.toBe(0)
      expect(unconfigured.stderr).toContain(
        'SHOPIFY_SHOP_DOMAIN (or SHOPIFY_ADMIN_BASE_URL) and SHOPIFY_ADMIN_ACCESS_TOKEN must be set',
      )
      const run = await runCli(['sync', 'shopify'], {
        ...env,
        SHOPIFY_ADMIN_BASE_URL: shopify.url,
        SHOPIFY_ADMIN_ACCESS_TOKEN: TOKEN,
      })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(
        'Synced Shopify locations: 3 read in 1 pages, 0 changed (0 new, 0 updated, 0 of them stubs filled in), 2 unchanged, 1 skipped, 0 retries',
      )
    })
  })
}
