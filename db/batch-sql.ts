import { CompiledQuery, type Kysely } from 'kysely'
import type { EngineAdapter } from './engines/engine.ts'
import type { DB } from './schema.ts'

/**
 * What a multi-row insert does when a row's key exists: nothing, update some columns, or add
 * the new values to some columns (counters: the daily rollup).
 */
export type OnConflict =
  | { key: readonly string[]; action: 'nothing' }
  | { key: readonly string[]; action: 'update' | 'add'; set: readonly string[] }

/** PostgreSQL's limit on bind parameters per statement; SQLite's is higher. */
const MAX_PARAMETERS = 32_000

const statements = new Map<string, string>()

/**
 * Inserts many rows with one statement per chunk, the SQL text written once per shape
 * (table, columns, row count, conflict rule) and reused: for ingest's hot path, where building
 * each multi-row insert with the query builder costs more than running it. Rows are
 * positional, in the order of `columns`. Works on every engine (`excluded.` upserts). Returns
 * the rows inserted or updated (a row skipped by `do nothing` does not count).
 */
export async function insertMany(
  db: Kysely<DB>,
  adapter: EngineAdapter,
  table: keyof DB & string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  onConflict?: OnConflict,
  /**
   * Every row must be inserted (none may meet its key). Callers check the count returned; a
   * deferred writer, which cannot count yet, fails its transaction at commit instead.
   */
  options: { exact?: boolean } = {},
): Promise<number> {
  if (adapter.runEach)
    return adapter.runEach(
      statementFor(adapter, table, columns, 1, onConflict),
      rows,
      options.exact ?? false,
    )
  let affected = 0
  const perStatement = Math.max(1, Math.min(500, Math.floor(MAX_PARAMETERS / columns.length)))
  for (const [start, size] of chunks(rows.length, perStatement)) {
    const chunk = rows.slice(start, start + size)
    const text = statementFor(adapter, table, columns, chunk.length, onConflict)
    const parameters: unknown[] = []
    for (const row of chunk) for (const value of row) parameters.push(value)
    const result = await db.executeQuery(CompiledQuery.raw(text, parameters))
    affected += Number(result.numAffectedRows ?? 0)
  }
  return affected
}

/**
 * Splits `count` rows into statements of `full` rows, then powers of two for the rest: a
 * statement is prepared once per shape, and each large prepared statement holds hundreds of
 * kilobytes, so the shapes must be few (at most a dozen per query, not one per remainder).
 */
export function chunks(count: number, full: number): [start: number, size: number][] {
  const out: [number, number][] = []
  let start = 0
  while (count - start >= full) {
    out.push([start, full])
    start += full
  }
  for (let size = 1 << Math.floor(Math.log2(full)); size >= 1; size >>= 1) {
    if (count - start >= size) {
      out.push([start, size])
      start += size
    }
  }
  return out
}

function statementFor(
  adapter: EngineAdapter,
  table: string,
  columns: readonly string[],
  rowCount: number,
  onConflict?: OnConflict,
): string {
  const key = `${adapter.engine}|${table}|${columns.join(',')}|${rowCount}|${JSON.stringify(onConflict ?? null)}`
  let text = statements.get(key)
  if (text) return text
  let n = 0
  const tuple = () => `(${columns.map(() => adapter.placeholder(++n)).join(', ')})`
  const tuples = Array.from({ length: rowCount }, tuple).join(', ')
  text = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values ${tuples}`
  if (onConflict) {
    text += ` on conflict (${onConflict.key.map(quote).join(', ')}) do `
    text +=
      onConflict.action === 'nothing'
        ? 'nothing'
        : `update set ${onConflict.set
            .map((c) =>
              onConflict.action === 'add'
                ? `${quote(c)} = ${quote(table)}.${quote(c)} + excluded.${quote(c)}`
                : `${quote(c)} = excluded.${quote(c)}`,
            )
            .join(', ')}`
  }
  if (statements.size > 2000) statements.clear()
  statements.set(key, text)
  return text
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

/**
 * Runs `select … where <column> in (…)` for many values, one statement per 500, the SQL text
 * written once per shape. `select` is the part before `where` (`select id, x from t`); `extra`
 * goes after the list (`and source = 'x'`, `order by id for update`); `leading` values bind
 * before the list.
 */
export async function selectIn<Row>(
  db: Kysely<DB>,
  adapter: EngineAdapter,
  query: { select: string; column: string; extra?: string; leading?: readonly unknown[] },
  values: readonly unknown[],
): Promise<Row[]> {
  const out: Row[] = []
  const leading = query.leading ?? []
  for (const [start, size] of chunks(values.length, 500)) {
    const chunk = values.slice(start, start + size)
    const key = `${adapter.engine}|in|${query.select}|${query.column}|${query.extra ?? ''}|${leading.length}|${chunk.length}`
    let text = statements.get(key)
    if (!text) {
      let n = 0
      const lead = leading.map(() => adapter.placeholder(++n))
      const list = chunk.map(() => adapter.placeholder(++n)).join(', ')
      text = `${query.select} where ${query.column} in (${list})${query.extra ? ` ${query.extra}` : ''}`
      // Leading values are referred to as $L1, $L2… in `select`/`extra` and bound first.
      lead.forEach((mark, i) => {
        text = (text as string).replaceAll(`$L${i + 1}`, mark)
      })
      statements.set(key, text)
    }
    const result = await db.executeQuery<Row>(CompiledQuery.raw(text, [...leading, ...chunk]))
    out.push(...result.rows)
  }
  return out
}
