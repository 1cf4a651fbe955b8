import { rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dueDiligenceCsv, escheatmentReport, naupaExport } from '../analytics/index.ts'
import { cardOwners, insertMany, openDatabase } from '../db/index.ts'

/** The owners' states: the rules table's reportable ones and two on the default rule. */
const STATES = ['US-NY', 'US-DE', 'US-IL', 'US-MA', 'US-NJ', 'US-PA', 'US-OH', 'US-GA']

/**
 * `npm run bench -- naupa [--cards 1000000]`: the NAUPA export (`giftcards escheatment --naupa`)
 * on a ledger of N cards written straight into a SQLite file (not timed): every card with a
 * balance, a holder in one of eight reportable states and a last activity spread over seven years, so
 * about a third reach a deadline within six months. Timed: the escheatment report, the owners'
 * lookup, the files and the due-diligence CSV written to disk. Target (issue 21): < 10 s at
 * 1,000,000 cards.
 */
export async function naupaBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  const dir = join(tmpdir(), `giftcards-naupa-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'bench.db') })
  try {
    const customers = Math.ceil(cards / 2)
    const loadStart = performance.now()
    await database.db.transaction().execute(async (trx) => {
      const batch: unknown[][] = []
      const flush = async (table: 'customers' | 'gift_cards', columns: string[]) => {
        await insertMany(trx, database.adapter, table, columns, batch)
        batch.length = 0
      }
      const customerColumns = [
        'id',
        'pseudonym',
        'name',
        'address_state',
        'postal_code',
        'created_at',
      ]
      for (let c = 0; c < customers; c++) {
        batch.push([
          `c${c}`,
          `cust_${c}`,
          `Owner ${c} Example`,
          STATES[c % STATES.length],
          String(10_000 + (c % 89_999)),
          '2018-01-01T00:00:00.000Z',
        ])
        if (batch.length === 5000) await flush('customers', customerColumns)
      }
      if (batch.length) await flush('customers', customerColumns)
      const cardColumns = [
        'id',
        'source',
        'gan_last4',
        'initial_value_cents',
        'balance_cents',
        'currency',
        'status',
        'issued_at',
        'holder_customer_id',
        'last_activity_at',
        'updated_at',
      ]
      const start = Date.parse('2018-01-01T00:00:00.000Z')
      const span = 7 * 365 * 86_400_000
      for (let k = 0; k < cards; k++) {
        const last = new Date(start + ((k * 7919) % 1000) * (span / 1000)).toISOString()
        batch.push([
          `gc_${k}`,
          'import',
          String(k % 10_000).padStart(4, '0'),
          5000,
          100 + (k % 9900),
          'USD',
          'active',
          '2017-12-01T00:00:00.000Z',
          `c${k % customers}`,
          last,
          last,
        ])
        if (batch.length === 5000) await flush('gift_cards', cardColumns)
      }
      if (batch.length) await flush('gift_cards', cardColumns)
    })
    const loadSeconds = (performance.now() - loadStart) / 1000
    const began = performance.now()
    const report = await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 })
    const reportSeconds = (performance.now() - began) / 1000
    const owners = await cardOwners(
      database.db,
      report.cards.map((c) => c.cardId),
    )
    const ownersSeconds = (performance.now() - began) / 1000 - reportSeconds
    const out = naupaExport(
      report.cards,
      owners,
      {
        taxId: '123456789',
        name: 'Bench Holder',
        state: 'US-DE',
        incorporationState: 'US-DE',
      },
      { lastFour: new Map([...owners].map(([id, o]) => [id, o.last4])) },
    )
    const outDir = join(dir, 'naupa')
    await mkdir(outDir, { recursive: true })
    for (const f of out.files) await writeFile(join(outDir, f.fileName), f.text, 'ascii')
    await writeFile(join(outDir, 'due-diligence.csv'), dueDiligenceCsv(out.dueDiligence))
    const seconds = (performance.now() - began) / 1000
    const result = {
      bench: 'naupa',
      cards,
      reported: report.cards.length,
      files: out.files.length,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      reportSeconds: Number(reportSeconds.toFixed(2)),
      ownersSeconds: Number(ownersSeconds.toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }
    console.log(JSON.stringify(result, null, 2))
    console.log(
      `naupa at ${cards.toLocaleString('en-US')} cards: ${report.cards.length.toLocaleString('en-US')} properties in ${out.files.length} files in ${seconds.toFixed(2)} s (report ${reportSeconds.toFixed(2)} s, owners ${ownersSeconds.toFixed(2)} s) | target < 10 s at 1,000,000 cards ${seconds < 10 ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
