/**
 * How large anything the ledger takes from outside may be: tool arguments and the fields it
 * stores at ingest (docs/tools.md, docs/privacy.md). Unbounded text made one request freeze the
 * server (issue 16); unbounded numbers reached the database as values it refuses.
 */

/** The largest id of a row the ledger numbers itself (approvals, alerts, campaigns): PostgreSQL's `integer`. */
export const MAX_ROW_ID = 2_147_483_647
/** Money in an argument: $10,000,000.00, more than any card or basket holds. */
export const MAX_CENTS = 1_000_000_000
/** How far into a list a page may start. */
export const MAX_OFFSET = 1_000_000
/** A count a caller gives (a customer's earlier visits). */
export const MAX_COUNT = 1_000_000
/** Ids a POS sends (cards, events, stores, terminals, orders, customers, employees). */
export const MAX_POS_ID_CHARS = 200
/** An item's SKU and category, as a POS or a basket names them. */
export const MAX_SKU_CHARS = 200
export const MAX_CATEGORY_CHARS = 80
/** Lines of one order. */
export const MAX_ITEMS = 500
/**
 * The most one event may move, and the largest balance a POS may report, by default:
 * $1,000,000.00 (MAX_EVENT_CENTS configures it, at most MAX_CENTS). Larger amounts are refused
 * at the door (docs/pos-vocabulary.md): no card holds that much, and sums of bounded amounts
 * stay exact, so a card's balance always equals the sum of its transactions.
 */
export const DEFAULT_MAX_EVENT_CENTS = 100_000_000
/**
 * How far ahead of now an event may be dated: a day (clocks drift, time zones are mislabelled).
 * Later ones are refused: one event dated 9999-12-31 froze its card's balance (every later
 * event was "late") and moved the ledger's watermark to the year 9999 (issue 17).
 */
export const MAX_FUTURE_MS = 24 * 3600 * 1000
