import { rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { runChild } from './child.ts'

type Measured = {
  engine: string
  cards: number
  ledgerRows: number
  rollupRows: number
  asOf: { seconds: number; baselineSeconds: number; ratio: number; equal: boolean }
  series: {
    seconds: number
    baselineSeconds: number
    ratio: number
    equal: boolean
    months: number
  }
  redemptionsSeriesSeconds: number
  peakRssMiB: number
}

/**
 * `npm run bench -- metrics [--cards 1000000] [--engines sqlite,postgres]`: on a seeded chain
 * (seeded by another process, not timed), as-of liability by jurisdiction at the end of a past
 * day and a two-year month-end liability series by jurisdiction, read from the daily rollup,
 * each against the ledger scan it replaces (the baseline, in the same run; the answers must be
 * equal). SQLite always; PostgreSQL too when DATABASE_URL or TEST_DATABASE_URL is a
 * postgres:// URL. Targets: as-of < 0.3 s, series < 0.5 s.
 */
export async function metricsBench(args: string[]): Promise<void> {
  const i = args.indexOf('--cards')
  const cards = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1_000_000
  const e = args.indexOf('--engines')
  const pgUrl = [process.env.DATABASE_URL, process.env.TEST_DATABASE_URL].find((u) =>
    u?.startsWith('postgres'),
  )
  const engines = (e >= 0 && args[e + 1] ? (args[e + 1] as string) : 'sqlite,postgres')
    .split(',')
    .filter((name) => name === 'sqlite' || (name === 'postgres' && pgUrl))
  const dir = join(tmpdir(), `giftcards-metrics-bench-${process.pid}`)
  await mkdir(dir, { recursive: true })
  const results: Measured[] = []
  try {
    for (const engine of engines) {
      let target = join(dir, 'ledger.db')
      let drop: (() => Promise<void>) | undefined
      if (engine === 'postgres' && pgUrl) {
        const schema = `bench_metrics_${process.pid}`
        const admin = new pg.Client({ connectionString: pgUrl })
        await admin.connect()
        await admin.query(`create schema ${schema}`)
        await admin.end()
        target = `${pgUrl}#${schema}`
        drop = async () => {
          const c = new pg.Client({ connectionString: pgUrl })
          await c.connect()
          await c.query(`drop schema ${schema} cascade`)
          await c.end()
        }
      }
      try {
        await runChild('./metrics-child.ts', ['seed', String(cards), target])
        results.push(
          await runChild<Measured>('./metrics-child.ts', ['measure', String(cards), target]),
        )
      } finally {
        await drop?.()
      }
    }
    console.log(
      JSON.stringify(
        { bench: 'metrics', cards, results, targets: { asOfSeconds: 0.3, seriesSeconds: 0.5 } },
        null,
        2,
      ),
    )
    const parts = results.map((r) => {
      const pass = r.asOf.seconds < 0.3 && r.series.seconds < 0.5 && r.asOf.equal && r.series.equal
      return `${r.engine}: as-of liability by jurisdiction ${r.asOf.seconds.toFixed(3)} s vs ledger scan ${r.asOf.baselineSeconds.toFixed(2)} s (${r.asOf.ratio.toFixed(0)}×${r.asOf.equal ? ', equal' : ', DIFFERENT'}) | ${r.series.months}-month liability series by jurisdiction ${r.series.seconds.toFixed(3)} s vs ${r.series.months} scans ${r.series.baselineSeconds.toFixed(1)} s (${r.series.ratio.toFixed(0)}×${r.series.equal ? ', equal' : ', DIFFERENT'}) | redemptions series ${r.redemptionsSeriesSeconds.toFixed(3)} s | rollup ${r.rollupRows.toLocaleString('en-US')} rows for ${r.ledgerRows.toLocaleString('en-US')} ledger rows | targets (as-of < 0.3 s, series < 0.5 s) ${pass ? 'PASS' : 'FAIL'}`
    })
    console.log(`metrics at ${cards.toLocaleString('en-US')} cards — ${parts.join(' || ')}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
