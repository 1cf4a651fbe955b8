import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { addMonths, type FraudLabel, GiftCardError, startOfMonth } from '../core/index.ts'
import {
  commonTimezone,
  countAll,
  DailyRollup,
  type Database,
  forgetTimezone,
  LEDGER_COLUMNS,
  ROLLUP_COLUMNS,
  type RolledCard,
  rollupCard,
  withIndexesDropped,
} from '../db/index.ts'
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
  'ledger_daily',
  'ledger_rollup',
  'ledger_voids',
] as const

/** The default first month of a seeded chain: 24 months before the current month. */
export function defaultSeedStart(now: Date = new Date()): number {
  return addMonths(startOfMonth(now.getTime()), -24)
}

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
  const writer = adapter.createBulkWriter({ ...SEED_COLUMNS, ledger_daily: ROLLUP_COLUMNS })
  const rollup = new SeedRollup()
  let fraudLabels = 0
  const generator = new ChainGenerator(
    options,
    (table, row) => {
      writer.write(table, row)
      rollup.see(table, row)
    },
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
        // The rollup of what was written goes in with it (the seed's ledger starts empty).
        for (const row of rollup.rows()) writer.write('ledger_daily', row)
        await writer.flush()
        await db.deleteFrom('ledger_rollup').execute()
        forgetTimezone(db)
        await db
          .insertInto('ledger_rollup')
          .values({ name: 'daily', timezone: rollup.timezone, built_at: new Date().toISOString() })
          .execute()
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

const TX = Object.fromEntries(LEDGER_COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof LEDGER_COLUMNS)[number],
  number
>
const CARD = Object.fromEntries(SEED_COLUMNS.gift_cards.map((c, i) => [c, i])) as Record<
  (typeof SEED_COLUMNS.gift_cards)[number],
  number
>
const TIMEZONE = SEED_COLUMNS.locations.indexOf('timezone')

/**
 * The daily rollup of the rows the generator writes, added up as they go by: the stores come
 * first (they fix the chain's time zone), then each card followed by its transactions in time
 * order.
 */
class SeedRollup {
  private readonly timezones: string[] = []
  private rollup: DailyRollup | undefined
  private card: { id: string; dims: RolledCard; balance: number } | undefined

  get timezone(): string {
    return this.rollup?.timezone ?? commonTimezone(this.timezones)
  }

  see(table: string, row: readonly unknown[]): void {
    if (table === 'gift_card_transactions') {
      const card = this.card
      if (row[TX.result] !== 'ok' || !card || row[TX.card_id] !== card.id) return
      this.rollup ??= new DailyRollup(commonTimezone(this.timezones))
      const amount = row[TX.amount_cents] as number
      this.rollup.add(
        card.dims,
        row[TX.type] as string,
        row[TX.occurred_at] as string,
        row[TX.location_id] as string | null,
        amount,
        card.balance,
      )
      card.balance += amount
    } else if (table === 'gift_cards') {
      this.card = {
        id: row[CARD.id] as string,
        dims: rollupCard({
          issuingLocationId: row[CARD.issuing_location_id] as string | null,
          occasion: row[CARD.occasion] as string | null,
          channel: row[CARD.channel] as string | null,
        }),
        balance: 0,
      }
    } else if (table === 'locations') {
      this.timezones.push(row[TIMEZONE] as string)
    }
  }

  rows(): unknown[][] {
    return this.rollup?.rows() ?? []
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
