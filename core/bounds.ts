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
