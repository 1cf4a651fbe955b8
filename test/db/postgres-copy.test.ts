import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { copyRows, copyText } from '../../db/engines/postgres-copy.ts'
import { DIALECTS } from '../helpers/dialects.ts'

const postgres = DIALECTS.find((d) => d.name === 'postgres')

describe('COPY text format (db/engines/postgres-copy.ts)', () => {
  it('escapes what COPY reads as syntax and writes null as \\N', () => {
    expect(copyText(null)).toBe('\\N')
    expect(copyText(undefined)).toBe('\\N')
    expect(copyText('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e')
    expect(copyText('\\N')).toBe('\\\\N')
    expect(copyText(-12.5)).toBe('-12.5')
    // JSON escapes a tab as backslash-t; COPY then doubles that backslash.
    expect(copyText({ a: 'x\ty' })).toBe('{"a":"x\\\\ty"}')
  })
})

describe.skipIf(!postgres)('COPY on PostgreSQL', () => {
  it('stores awkward values exactly as a parameterised INSERT does', async () => {
    const { database, cleanup } = await (postgres as NonNullable<typeof postgres>).open()
    const client = new pg.Client({
      connectionString: process.env.TEST_DATABASE_URL as string,
      options: `-c search_path=${database.searchPath}`,
    })
    await client.connect()
    try {
      const values = ['tab\there', 'line\nbreak', 'back\\slash', '\\N', 'crème “brûlée” ✓', '']
      const columns = [
        'id',
        'name',
        'city',
        'region',
        'jurisdiction',
        'timezone',
        'latitude',
        'opened_at',
      ]
      const row = (i: number, name: string, latitude: number | null) => [
        `loc-${i}`,
        name,
        'Austin',
        'TX',
        'TX',
        'America/Chicago',
        latitude,
        '2024-01-01T00:00:00.000Z',
      ]
      await client.query('begin')
      const copied = await copyRows(
        client,
        'locations',
        columns,
        values.map((v, i) => row(i, v, i % 2 ? 30.123456789 : null)),
      )
      await client.query('commit')
      expect(copied).toBe(values.length)
      for (const [i, v] of values.entries())
        await client.query(
          `insert into locations (${columns.join(', ')}) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
          row(100 + i, v, i % 2 ? 30.123456789 : null),
        )
      const read = await database.db
        .selectFrom('locations')
        .select(['id', 'name', 'city', 'latitude'])
        .orderBy('id')
        .execute()
      const byId = new Map(read.map((r) => [r.id, r]))
      for (const [i, v] of values.entries()) {
        expect(byId.get(`loc-${i}`)).toEqual({ ...byId.get(`loc-${100 + i}`), id: `loc-${i}` })
        expect(byId.get(`loc-${i}`)?.name).toBe(v)
      }
    } finally {
      await client.end()
      await cleanup()
    }
  })

  // The seed goes through COPY now: test/synth/seed.test.ts holds its checksum on PostgreSQL equal
  // to SQLite's, and `npm run bench -- copy` compares it with the INSERT path.
})
