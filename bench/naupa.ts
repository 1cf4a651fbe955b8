import { rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { escheatmentReport, writeNaupaFiles } from '../analytics/index.ts'
import { insertMany, openDatabase } from '../db/index.ts'

/** The owners' states: the rules table's reportable ones and two on the default rule. */
const STATES = ['US-NY', 'US-DE', 'US-IL', 'US-MA', 'US-NJ', 'US-PA', 'US-OH', 'US-GA']

/**
 * `npm run bench -- naupa [--cards 1000000]`: the NAUPA export (`giftcards escheatment --naupa`)
 * on a ledger of N cards written straight into a SQLite file (not timed): every card with a
 * balance, a holder in one of eight reportable states and a last activity spread over seven years, so
 * about a third reach a deadline within six months. Timed: the escheatment report, then
 * `writeNaupaFiles` (the owners' pass, the files and the due-diligence CSV streamed to disk), as
 * the CLI runs them; beside a bare read of the cards and their owners (the baseline, same run). Target (issue 21): < 10 s at
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
    // The baseline, same run: a bare read of what the export reads (the cards with a balance and
    // their owners' rows, nothing done with them). The load on a shared machine slows both alike.
    const baseStart = performance.now()
    await database.adapter.scan(
      {
        sql: `select c.id, c.last_activity_at, h.address_state, h.name, p.address_state
          from ${database.adapter.fullScan('gift_cards', 'c')}
          left join customers h on h.id = c.holder_customer_id
          left join customers p on p.id = c.purchaser_customer_id
          where c.balance_cents > 0`,
        parameters: [],
        arrays: true,
      },
      () => {},
    )
    const scanSeconds = (performance.now() - baseStart) / 1000
    const began = performance.now()
    const report = await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 })
    const reportSeconds = (performance.now() - began) / 1000
    // What `giftcards escheatment --naupa DIR` does after the report (cli/commands/escheatment.ts).
    const out = await writeNaupaFiles(
      database,
      report.cards,
      {
        taxId: '123456789',
        name: 'Bench Holder',
        state: 'US-DE',
        incorporationState: 'US-DE',
      },
      join(dir, 'naupa'),
    )
    const seconds = (performance.now() - began) / 1000
    const result = {
      bench: 'naupa',
      cards,
      reported: report.cards.length,
      files: out.files.length,
      loadSeconds: Number(loadSeconds.toFixed(1)),
      reportSeconds: Number(reportSeconds.toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      scanSeconds: Number(scanSeconds.toFixed(2)),
      ratio: Number((seconds / scanSeconds).toFixed(1)),
      loadAverage: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }
    console.log(JSON.stringify(result, null, 2))
    console.log(
      `naupa at ${cards.toLocaleString('en-US')} cards: ${report.cards.length.toLocaleString('en-US')} properties in ${out.files.length} files in ${seconds.toFixed(2)} s (report ${reportSeconds.toFixed(2)} s) = ${result.ratio}× a bare read of the cards and owners (${scanSeconds.toFixed(2)} s, same run) | load average ${result.loadAverage} | target < 10 s at 1,000,000 cards ${seconds < 10 ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
