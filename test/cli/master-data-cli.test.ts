import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startFakeSquare } from '../fakes/square-api.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { databaseUrl, runCli } from './run-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'giftcards-master-data-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const EVENTS = file(
  'events.csv',
  `event_id,occurred_at,card_id,type,amount,currency,location_id,customer_id
e1,2021-03-01T15:00:00Z,gc1,activate,100.00,USD,S1,C1
e2,2021-03-02T15:00:00Z,gc2,activate,50.00,USD,S2,C2
e3,2021-03-03T15:00:00Z,gc3,activate,25.00,USD,S3,
e4,2022-01-05T15:00:00Z,gc1,redeem,40.00,USD,S1,C1
`,
)
const STORES_WITH_A_BAD_ROW = file(
  'stores-bad.csv',
  `location_id,name,city,state,postal_code,country,latitude,longitude,timezone
S1,Union Square,San Francisco,California,94108,US,37.7879,-122.4075,America/Los_Angeles
S9,Nowhere,Nowhere,Narnia,,,,,
S2,Midtown,New York,ny,10018,US,,,
`,
)
const STORES = file(
  'stores.csv',
  `location_id,name,city,state
S1,Union Square,San Francisco,CA
S2,Midtown,New York,NY
S3,Congress Avenue,Austin,tx
`,
)
const CUSTOMERS = file(
  'customers.csv',
  `customer_id,name,email,phone,state,postal_code,segment,created_at
C1,Ann Lee,ann@example.com,+1 716 555 0179,New York,14201,vip,2020-01-02
C2,Bo Chen,bo@example.org,(212) 555-0100,DE,19801,,
`,
)

for (const dialect of DIALECTS) {
  describe(`giftcards import --format locations | customers on ${dialect.name}`, () => {
    let env: Record<string, string>
    useDatabase(dialect, async (d) => {
      env = { DATABASE_URL: databaseUrl(d), PII_TOKEN_KEY: 'cli-master-data-key' }
    })
    const cli = (...args: string[]) => runCli(args, env)

    it('says what sits at stores of unknown jurisdiction until their master data is loaded', async () => {
      expect((await cli('import', EVENTS)).code).toBe(0)
      const before = await cli('liability', '--by', 'jurisdiction')
      expect(before.stdout).toContain('unknown                  3 cards           $135.00')
      expect(before.stdout).toContain(
        '3 cards, $135.00 at 3 stores of unknown jurisdiction (load store master data: giftcards import FILE --format locations)',
      )
      const escheat = await cli('escheatment', '--horizon-months', '60')
      expect(escheat.stdout).toContain('3 cards, $135.00 at 3 stores of unknown jurisdiction')
      expect(escheat.stdout).toContain(
        '2 cards, $110.00 name customers with no known address, so US-DE (the state of incorporation) is the claimant (load customer master data: giftcards import FILE --format customers)',
      )
      const asked = await cli('ask', 'liability by state')
      expect(asked.stdout).toContain('• unknown: $135.00 (3 cards)')
      expect(asked.stdout).toContain(
        'Note: 3 cards, $135.00 at 3 stores of unknown jurisdiction (load store master data: giftcards import FILE --format locations).',
      )
    })

    it('reports a bad row as line N: field: problem with exit code 1, loading the good rows', async () => {
      const run = await cli('import', STORES_WITH_A_BAD_ROW, '--format', 'locations')
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(
        'line 3: state: "Narnia" is not a US state code or name (CA, California)',
      )
      expect(run.stdout).toContain(
        '3 rows read, 2 stores changed (0 new, 2 updated, 2 of them stubs filled in), 0 unchanged, 1 rejected',
      )
      const partly = await cli('liability', '--by', 'jurisdiction')
      expect(partly.stdout).toContain('1 card, $25.00 at 1 store of unknown jurisdiction')
    })

    it('a clean file loads with exit code 0, and again changes nothing', async () => {
      const first = await cli('import', STORES, '--format', 'locations')
      expect(first.code).toBe(0)
      // S1 and S2 are as the last file left them (a column left out keeps what the store has).
      expect(first.stdout).toContain(
        '1 store changed (0 new, 1 updated, 1 of them stubs filled in), 2 unchanged',
      )
      const second = await cli('import', STORES, '--format', 'locations')
      expect(second.code).toBe(0)
      expect(second.stdout).toContain(
        '0 stores changed (0 new, 0 updated, 0 of them stubs filled in), 3 unchanged, 0 rejected',
      )
      const after = await cli('liability', '--by', 'jurisdiction')
      expect(after.stdout).toBe(
        [
          'Outstanding liability now: $135.00',
          '  US-CA                    1 cards            $60.00',
          '  US-NY                    1 cards            $50.00',
          '  US-TX                    1 cards            $25.00',
          '',
        ].join('\n'),
      )
      const asked = await cli('ask', 'liability by state')
      expect(asked.stdout).not.toContain('unknown')
      expect(asked.stdout).toContain('US-CA')
    })

    it('customers give the escheatment claimant; their PII never reaches an answer', async () => {
      const run = await cli('import', CUSTOMERS, '--format', 'customers', '--json')
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout)).toMatchObject({ rows: 2, updated: 2, enriched: 2 })
      const escheat = await cli('escheatment', '--horizon-months', '60', '--as-of', '2026-12-01')
      expect(escheat.stdout).toContain('US-NY    reportable        1 cards         $60.00')
      expect(escheat.stdout).toContain(
        'US-DE    reportable        2 cards         $75.00  (2 overdue)',
      )
      expect(escheat.stdout).not.toContain('unknown jurisdiction')
      expect(escheat.stdout).not.toContain('no known address')
      const asked = await cli('ask', 'escheatment report for the next 36 months')
      for (const pii of ['Ann Lee', 'ann@example.com', '555 0179']) {
        expect(asked.stdout).not.toContain(pii)
        expect(escheat.stdout).not.toContain(pii)
      }
    })

    it('refuses an unknown format, naming the ones there are', async () => {
      const run = await cli('import', STORES, '--format', 'stores')
      expect(run.code).not.toBe(0)
      expect(run.stderr).toContain('--format must be csv, square-jsonl, locations, customers')
    })

    it('giftcards sync square pulls the stores and customers too', async () => {
      const square = await startFakeSquare('EAAA-cli')
      try {
        square.locations.push({
          id: 'S3',
          name: 'Congress Avenue',
          address: {
            locality: 'Austin',
            administrative_district_level_1: 'TX',
            postal_code: '78701',
            country: 'US',
          },
          coordinates: { latitude: 30.2672, longitude: -97.7431 },
          timezone: 'America/Chicago',
        })
        square.customers.push({
          id: 'C9',
          given_name: 'Cy',
          email_address: 'cy@example.net',
          address: { administrative_district_level_1: 'WA' },
          created_at: '2024-01-01T00:00:00Z',
        })
        const run = await runCli(['sync', 'square'], {
          ...env,
          SQUARE_ACCESS_TOKEN: 'EAAA-cli',
          SQUARE_BASE_URL: square.url,
        })
        expect(run.code).toBe(0)
        expect(run.stdout).toContain(
          '1 locations (1 changed, 0 skipped), 1 customers (1 changed, 0 skipped)',
        )
      } finally {
        await square.close()
      }
    })
  })
}
