import { describe, expect, it } from 'vitest'
import { isGiftCardError } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { resolveLocation } from '../../tools/locations.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const store = (id: string, name: string, city: string, jurisdiction: string) => ({
  id,
  name,
  city,
  region: 'test',
  jurisdiction,
  timezone: 'America/New_York',
  latitude: 0,
  longitude: 0,
  opened_at: '2020-01-01T00:00:00.000Z',
})

for (const dialect of DIALECTS) {
  describe(`the location resolver on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await d.db
        .insertInto('locations')
        .values([
          store('loc_001', 'New York', 'New York', 'US-NY'),
          store('loc_002', 'New York Midtown', 'New York', 'US-NY'),
          store('loc_003', 'Brooklyn', 'Brooklyn', 'US-NY'),
          store('loc_004', 'San Francisco', 'San Francisco', 'US-CA'),
          store('loc_010', 'Jersey City', 'Jersey City', 'US-NJ'),
        ])
        .execute()
    })

    it('takes an id, a store number, a city (all its stores) or a store name', async () => {
      expect(await resolveLocation(database, 'loc_004')).toMatchObject({
        matchedBy: 'id',
        ids: ['loc_004'],
        stores: [{ id: 'loc_004', name: 'San Francisco', jurisdiction: 'US-CA' }],
      })
      expect((await resolveLocation(database, 'LOC_010')).ids).toEqual(['loc_010'])
      expect((await resolveLocation(database, 'store 10')).ids).toEqual(['loc_010'])
      expect(await resolveLocation(database, 'new york')).toMatchObject({
        matchedBy: 'city',
        ids: ['loc_001', 'loc_002'],
      })
      expect(await resolveLocation(database, 'New York Midtown')).toMatchObject({
        matchedBy: 'name',
        ids: ['loc_002'],
      })
      expect((await resolveLocation(database, 'the Brooklyn store')).ids).toEqual(['loc_003'])
      expect((await resolveLocation(database, 'Brooklyn, NY')).ids).toEqual(['loc_003'])
    })

    it('tolerates typos', async () => {
      expect(await resolveLocation(database, 'brooklin')).toMatchObject({
        matchedBy: 'fuzzy',
        ids: ['loc_003'],
      })
      expect((await resolveLocation(database, 'San Fransisco')).ids).toEqual(['loc_004'])
      expect((await resolveLocation(database, 'midtwon')).ids).toEqual(['loc_002'])
      expect((await resolveLocation(database, 'new yrok')).ids).toEqual(['loc_001', 'loc_002'])
      expect((await resolveLocation(database, 'Jersey')).ids).toEqual(['loc_010'])
    })

    it('refuses an unknown name with LOCATION_NOT_FOUND naming the closest stores', async () => {
      let err: unknown
      try {
        await resolveLocation(database, 'Brookfield Heights Mall')
      } catch (e) {
        err = e
      }
      expect(isGiftCardError(err, 'LOCATION_NOT_FOUND')).toBe(true)
      const message = (err as Error).message
      expect(message).toContain('"Brookfield Heights Mall"')
      expect(message).toMatch(/closest are .*Brooklyn \(loc_003/)
      await expect(resolveLocation(database, 'Zanzibar')).rejects.toThrow(/closest are \w/)
      await expect(resolveLocation(database, 'loc_999')).rejects.toThrow(/no store/)
      // A short word is not a typo away from a longer name: "la" is not Dallas.
      await expect(resolveLocation(database, 'sf')).rejects.toThrow(/no store/)
      await expect(resolveLocation(database, 'New')).rejects.toThrow(/no store/)
    })
  })
}
