import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createFraudListener } from '../../analytics/index.ts'
import type { Database } from '../../db/index.ts'
import { importFile, importMasterData } from '../../ingest/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-fraud-master-data-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const EVENTS = join(dir, 'events.csv')
writeFileSync(
  EVENTS,
  `event_id,occurred_at,card_id,type,amount,currency,location_id
t1,2026-06-01T15:00:00Z,gc-t,activate,100.00,USD,S-SF
`,
)
const STORES = join(dir, 'stores.csv')
writeFileSync(
  STORES,
  `location_id,name,city,state,latitude,longitude
S-SF,Union Square,San Francisco,CA,37.7879,-122.4075
S-NYC,Midtown,New York,NY,40.7549,-73.9840
`,
)

/** A redemption of gc-t at `store`, `minutes` after the activation. */
const use = (n: number, store: string, minutes: number) => ({
  source: 'import' as const,
  eventId: `u${n}`,
  cardRef: 'gc-t',
  cardId: 'gc-t',
  type: 'redeem' as const,
  amountCents: -1000,
  currency: 'USD',
  balanceAfterCents: 10_000 - 1000 * n,
  occurredAt: new Date(Date.parse('2026-06-01T15:00:00Z') + minutes * 60_000).toISOString(),
  locationId: store,
})

for (const dialect of DIALECTS) {
  describe(`the streaming fraud listener and store master data on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await importFile(d, EVENTS, { format: 'csv' })
    })
    const travelAlerts = () =>
      database.db
        .selectFrom('fraud_alerts')
        .select(['score', 'evidence'])
        .where('rule', '=', 'impossible_travel')
        .execute()

    it('sees coordinates loaded while it runs: impossible travel between stores that were stubs', async () => {
      // Both listeners start while the stores are stubs with no coordinates.
      const rereads = createFraudListener(database, { recheckUnplacedMs: 0 })
      const keeps = createFraudListener(database, { recheckUnplacedMs: 3_600_000 })
      await rereads.onEvent(use(1, 'S-SF', 5))
      await keeps.onEvent(use(1, 'S-SF', 5))
      expect(await importMasterData(database, STORES, { format: 'locations' })).toMatchObject({
        inserted: 1,
        enriched: 1,
      })
      // San Francisco, then New York 35 minutes later: 4,130 km.
      await keeps.onEvent(use(2, 'S-SF', 10))
      await keeps.onEvent(use(3, 'S-NYC', 45))
      // Still reading stubs: two stores minutes apart, the distance unknown, scored low.
      const unplaced = await travelAlerts()
      expect(unplaced).toHaveLength(1)
      expect(unplaced[0]?.score).toBeLessThanOrEqual(0.65)
      expect(JSON.parse(unplaced[0]?.evidence ?? '{}').reason).toMatch(/distance (is )?unknown/i)
      await database.db.deleteFrom('fraud_alerts').execute()
      // Reading the stores again: the distance is known, and the alert says it.
      await rereads.onEvent(use(2, 'S-SF', 10))
      await rereads.onEvent(use(3, 'S-NYC', 45))
      const placed = await travelAlerts()
      expect(placed).toHaveLength(1)
      expect(placed[0]?.score).toBeGreaterThan(0.65)
      expect(JSON.parse(placed[0]?.evidence ?? '{}').reason).toMatch(/\d+ km/)
    })
  })
}
