import pg from 'pg'
import { openDatabase, type PostgresBulkMethod } from '../db/index.ts'
import { ledgerChecksum } from '../synth/measure.ts'
import { seedChain } from '../synth/seed.ts'

/**
 * `npm run bench -- copy [--cards 100000] [--months 24]`: the seed into PostgreSQL (DATABASE_URL
 * or TEST_DATABASE_URL) through COPY (db/engines/postgres-copy.ts, the bulk writer's default) and,
 * in the same run, through the multi-row INSERTs it replaced, each into a fresh schema; the
 * ratio of their speeds and whether the two chains' checksums are equal.
 */
export async function copyBench(args: string[]): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name)
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback
  }
  const url = process.env.DATABASE_URL?.startsWith('postgres')
    ? process.env.DATABASE_URL
    : process.env.TEST_DATABASE_URL
  if (!url?.startsWith('postgres'))
    throw new Error('copy needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL')
  const cards = arg('--cards', 100_000)
  const months = arg('--months', 24)
  const chain = { cards, seed: 7, startMs: Date.UTC(2024, 0, 1), months }
  const run = async (method: PostgresBulkMethod) => {
    const schema = `bench_copy_${process.pid}_${method}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`drop schema if exists ${schema} cascade`)
    await admin.query(`create schema ${schema}`)
    const database = await openDatabase(
      { engine: 'postgres', url },
      { searchPath: schema, postgresBulkMethod: method },
    )
    try {
      const report = await seedChain(database, chain)
      const rows = report.cards + report.transactions + report.customers + report.orderItems
      return {
        method,
        seconds: Number(report.seconds.toFixed(2)),
        rows,
        rowsPerSecond: Math.round(rows / report.seconds),
        checksum: await ledgerChecksum(database),
      }
    } finally {
      await database.close()
      await admin.query(`drop schema if exists ${schema} cascade`)
      await admin.end()
    }
  }
  const insert = await run('insert')
  const copy = await run('copy')
  const ratio = insert.seconds / copy.seconds
  const same = insert.checksum === copy.checksum
  console.log(
    JSON.stringify(
      { bench: 'copy', cards, months, copy, insert, ratio: Number(ratio.toFixed(2)), same },
      null,
      2,
    ),
  )
  console.log(
    `copy: ${cards.toLocaleString('en-US')} cards, ${copy.rows.toLocaleString('en-US')} rows: COPY ${copy.seconds} s (${copy.rowsPerSecond.toLocaleString('en-US')} rows/s) vs multi-row INSERT ${insert.seconds} s, ${ratio.toFixed(2)}× faster | checksums equal: ${same}`,
  )
}
