import { LEDGER_COLUMNS } from '../db/index.ts'

/**
 * Column order of the positional rows the seed writes, per table, in the order tables must
 * be flushed (parents before children).
 */
export const SEED_COLUMNS = {
  locations: [
    'id',
    'name',
    'city',
    'region',
    'jurisdiction',
    'timezone',
    'latitude',
    'longitude',
    'opened_at',
  ],
  terminals: ['id', 'location_id', 'kind'],
  employees: ['id', 'location_id', 'role', 'hired_at'],
  customers: [
    'id',
    'pseudonym',
    'name',
    'email',
    'phone',
    'address_state',
    'home_location_id',
    'created_at',
  ],
  gift_cards: [
    'id',
    'source',
    'external_id',
    'gan_last4',
    'initial_value_cents',
    'balance_cents',
    'currency',
    'status',
    'issued_at',
    'expires_at',
    'issuing_location_id',
    'purchaser_customer_id',
    'holder_customer_id',
    'channel',
    'occasion',
    'last_activity_at',
    'updated_at',
  ],
  gift_card_transactions: LEDGER_COLUMNS,
  order_items: ['order_id', 'sku', 'category', 'amount_cents'],
} as const satisfies Record<string, readonly string[]>

export type SeedTable = keyof typeof SEED_COLUMNS

/** The tables the seed fills (and `--reset` empties, with what derives from them). */
export const SEED_TABLES = Object.keys(SEED_COLUMNS) as SeedTable[]

/** Emits one positional row. */
export type EmitRow = (table: SeedTable, row: readonly unknown[]) => void
