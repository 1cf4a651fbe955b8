/**
 * The one CSV writer of every file this project hands to a person (escheatment, metrics,
 * reconcile differences, campaign audiences, the NAUPA due-diligence list): RFC 4180 quoting,
 * plus neutralisation of cells a spreadsheet would run as a formula (docs/csv.md).
 *
 * OWASP "CSV Injection": a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return
 * may be evaluated by Excel, LibreOffice or Google Sheets (`=HYPERLINK("http://x")`). Such a
 * cell is prefixed with a single quote (which the spreadsheet shows as text) and the whole cell
 * is quoted, so no separator, quote or newline inside it can start another cell or row.
 *
 * Numbers stay numbers: a cell given as a JS number, and a text cell that is wholly a decimal
 * literal (`-12.50`, `+3`), is written as it is, because finance sums those columns and a
 * literal number cannot be a formula. Anything else that starts with a trigger is text.
 */

/** What a cell may hold; null and undefined are empty. */
export type CsvValue = string | number | boolean | null | undefined

/** The characters OWASP lists as starting a formula (tab and CR included). */
const FORMULA_START = /^[=+\-@\t\r]/
/** A plain decimal number, optionally signed: never a formula, kept as a number. */
const DECIMAL_LITERAL = /^[+-]?\d+(\.\d+)?$/
/** Cells with these need quoting under RFC 4180. */
const NEEDS_QUOTES = /[",\r\n]/

/** One cell, quoted and neutralised as needed. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (FORMULA_START.test(value) && !DECIMAL_LITERAL.test(value))
    return `"'${value.replaceAll('"', '""')}"`
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** One row: its cells joined by commas (no line ending). */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',')
}

/**
 * A whole file: the header, then the rows, each line ended by `lineEnd` (RFC 4180 says CRLF;
 * some of the project's files kept LF when they were written, and keep it).
 */
export function csvText(
  header: readonly string[],
  rows: Iterable<readonly CsvValue[]>,
  lineEnd: '\r\n' | '\n' = '\r\n',
): string {
  const lines = [csvRow(header)]
  for (const row of rows) lines.push(csvRow(row))
  return `${lines.join(lineEnd)}${lineEnd}`
}
