import { type Expression, type RawBuilder, sql } from 'kysely'

/**
 * `sum(...)` of cents as a 64-bit integer on every engine (PostgreSQL's sum(bigint) is
 * numeric, which pg returns as a string), zero when there are no rows.
 */
export function sumCents(expression: Expression<number | null>): RawBuilder<number> {
  return sql<number>`cast(coalesce(sum(${expression}), 0) as bigint)`
}

/** `count(*)` as a number on every engine. */
export function countAll(): RawBuilder<number> {
  return sql<number>`cast(count(*) as bigint)`
}

/** The `YYYY-MM` of an ISO timestamp column. */
export function monthOf(expression: Expression<string | null>): RawBuilder<string> {
  return sql<string>`substr(${expression}, 1, 7)`
}
