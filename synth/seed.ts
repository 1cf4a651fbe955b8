import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type FraudLabel, GiftCardError } from '../core/index.ts'
import { countAll, type Database, withIndexesDropped } from '../db/index.ts'
import { ChainGenerator, type ChainParams } from './generator.ts'
import { SEED_COLUMNS, SEED_TABLES } from './rows.ts'

/** Tables whose rows derive from the ledger and are emptied with it by `--reset`. */
const DERIVED_TABLES = [
  'fraud_alerts',
  'card_holds',
  'campaigns',
  'approval_requests',
  'forecasts',
  'gift_card_prompts',
  'webhook_inbox',
] as const

export type SeedOptions = ChainParams & {
  /** Where the ground-truth labels go (JSON lines); never into the database. */
  labelsPath?: string
  /** Empty the ledger first; without it a ledger that already has cards is refused. */
  reset?: boolean
  onProgress?: (cards: number, total: number) => void
}

export type SeedReport = {
  cards: number
  transactions: number
  customers: number
  orderItems: number
  locations: number
  fraudLabels: number
  dataStart: string
  dataEnd: string
  seconds: number
}

/**
 * Writes a synthetic chain into the ledger through the engine's bulk writer. Secondary
 * indexes are dropped for the load and rebuilt after it (one sort instead of millions of
 * random index inserts); the idempotency keys are rebuilt as unique indexes, so a clash fails
 * the load.
 */
export async function seedChain(database: Database, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now()
  const { db, adapter } = database
  if (options.reset) {
    await adapter.truncate(db, [...DERIVED_TABLES, ...[...SEED_TABLES].reverse()])
  } else {
    const { n } = await db
      .selectFrom('gift_cards')
      .select(countAll().as('n'))
      .executeTakeFirstOrThrow()
    if (n > 0) {
      throw new GiftCardError(
        'CONFLICT',
        `the ledger already has ${n} cards; run seed with --reset to replace them`,
      )
    }
  }

  const labels = options.labelsPath ? await openLabels(options.labelsPath) : undefined
  const writer = adapter.createBulkWriter(SEED_COLUMNS)
  let fraudLabels = 0
  const generator = new ChainGenerator(
    options,
    (table, row) => writer.write(table, row),
    (label: FraudLabel) => {
      fraudLabels++
      labels?.write(`${JSON.stringify(label)}\n`)
    },
  )

  try {
    await withIndexesDropped(database, SEED_TABLES, async () => {
      let reported = 0
      try {
        await generator.run(async () => {
          if (writer.wantsFlush) await writer.flush()
          if (options.onProgress && generator.cardsWritten - reported >= 1000) {
            reported = generator.cardsWritten
            options.onProgress(reported, options.cards)
          }
        })
        await writer.flush()
      } catch (err) {
        await writer.abort()
        throw err
      }
      options.onProgress?.(generator.cardsWritten, options.cards)
    })
  } finally {
    await labels?.close()
  }
  await adapter.analyze(db)

  return {
    cards: writer.counts.gift_cards ?? 0,
    transactions: writer.counts.gift_card_transactions ?? 0,
    customers: writer.counts.customers ?? 0,
    orderItems: writer.counts.order_items ?? 0,
    locations: writer.counts.locations ?? 0,
    fraudLabels,
    dataStart: new Date(options.startMs).toISOString(),
    dataEnd: new Date(generator.dataEndMs).toISOString(),
    seconds: (performance.now() - started) / 1000,
  }
}

async function openLabels(path: string) {
  await mkdir(dirname(path), { recursive: true })
  const stream = createWriteStream(path, { encoding: 'utf8' })
  return {
    write: (line: string) => {
      stream.write(line)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        stream.on('error', reject)
        stream.end(resolve)
      }),
  }
}
