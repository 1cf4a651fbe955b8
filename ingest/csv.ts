import { detached } from '../core/index.ts'

/**
 * A streaming CSV reader (RFC 4180) for export files: comma-separated fields, fields in double
 * quotes may hold commas, line breaks and doubled quotes (`""`), lines end in LF or CRLF,
 * a leading byte-order mark is dropped and empty lines are skipped.
 *
 * Export files are mostly plain lines, so a line without a quote is split in one native call;
 * only a line holding a quote is read character by character. That keeps reading a 1,000,000
 * row file under a second, where a general-purpose parser spends most of an import's time.
 */

/** One record: its fields and the line it starts on (1-based, the header is line 1). */
export type CsvRecord = { line: number; fields: string[] }
/** A record that cannot be read (an unterminated quote), with the line it starts on. */
export type CsvError = { line: number; error: string }

/**
 * The longest line read (1 MiB of characters), and the longest record (a quoted field may span
 * lines; past it, the quote is an error). A longer line is skipped unread up to its end and
 * reported by its number: one 150 MB line once took 1.24 GB to read (issue 17).
 */
export const MAX_LINE_CHARS = 1 << 20
const MAX_RECORD_CHARS = MAX_LINE_CHARS

/** What a line longer than MAX_LINE_CHARS is reported as. */
export const LINE_TOO_LONG =
  'the line is longer than 1 MiB (1,048,576 characters); it was skipped unread'

/** Reads records a chunk at a time (one array per chunk read, never one promise per row). */
export function readCsv(
  stream: AsyncIterable<string | Buffer>,
): AsyncGenerator<(CsvRecord | CsvError)[]> {
  let line = 1
  return readText(
    stream,
    (text, atEnd) => {
      const read = takeRecords(text, line, atEnd)
      line = read.line
      return { items: read.records, consumed: read.consumed }
    },
    { dropByteOrderMark: true, tooLong: () => ({ line: line++, error: LINE_TOO_LONG }) },
  )
}

/**
 * Decodes a byte stream as UTF-8 (a character split across chunks waits for the rest; a
 * leading byte-order mark is dropped if asked) and hands the text read so far to `take`,
 * which returns what it made of the start of it and how many characters that used; the rest
 * waits for the next chunk, and `atEnd` says no chunk will come. Yields what `take` makes, a
 * chunk at a time (CSV records here, Square JSON lines in read-rows.ts).
 *
 * What `take` leaves is the start of a line whose end has not come yet. Once that passes
 * MAX_LINE_CHARS, it is dropped, the bytes up to the next line break are skipped without being
 * decoded or kept (memory stays flat whatever the line's length), and `tooLong()` is yielded
 * in the line's place: it reports the line (its number is the caller's count) and counts it.
 */
export async function* readText<T>(
  stream: AsyncIterable<string | Buffer>,
  take: (text: string, atEnd: boolean) => { items: T[]; consumed: number },
  options: { dropByteOrderMark?: boolean; tooLong: () => T },
): AsyncGenerator<T[]> {
  let decoder = new TextDecoder('utf-8')
  let text = ''
  // Set until the first character has been seen.
  let bomPossible = options.dropByteOrderMark ?? false
  // Inside a line longer than MAX_LINE_CHARS, until its line break.
  let skipping = false
  for await (let chunk of stream) {
    if (skipping) {
      const end = typeof chunk === 'string' ? chunk.indexOf('\n') : chunk.indexOf(10)
      if (end === -1) continue
      skipping = false
      yield [options.tooLong()]
      chunk = typeof chunk === 'string' ? chunk.slice(end + 1) : chunk.subarray(end + 1)
      // The rest starts at a character (a line break is one byte in UTF-8): no partial one waits.
      decoder = new TextDecoder('utf-8')
    }
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    if (bomPossible && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      bomPossible = false
    }
    const taken = take(text, false)
    text = text.slice(taken.consumed)
    if (taken.items.length > 0) yield taken.items
    if (text.length > MAX_LINE_CHARS && text.indexOf('\n') === -1) {
      text = ''
      skipping = true
    }
  }
  if (skipping) {
    yield [options.tooLong()]
    return
  }
  text += decoder.decode()
  const rest = take(text, true)
  if (rest.items.length > 0) yield rest.items
}

/**
 * Takes the complete records at the start of `text`. Without `atEnd`, a record that may go on
 * in the next chunk is left for it (`consumed` stops before it).
 */
export function takeRecords(
  text: string,
  startLine: number,
  atEnd: boolean,
): { records: (CsvRecord | CsvError)[]; consumed: number; line: number } {
  const records: (CsvRecord | CsvError)[] = []
  let pos = 0
  let line = startLine
  // The next quote at or after `pos` (found once, not once per line: -1 means none left).
  let quote = text.indexOf('"')
  while (pos < text.length) {
    if (quote !== -1 && quote < pos) quote = text.indexOf('"', pos)
    let end = text.indexOf('\n', pos)
    if (end === -1) {
      if (!atEnd) break
      end = text.length
    }
    if (quote === -1 || quote > end) {
      // The common case: a whole line with no quotes.
      const lineEnd = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end
      if (lineEnd - pos > MAX_LINE_CHARS) {
        // Whole already (it came in one chunk), but as long as a line is allowed to be, no longer.
        records.push({ line, error: LINE_TOO_LONG })
        pos = end + 1
        line++
        continue
      }
      // The line is copied out of the chunk first: its fields are then slices of the line, and
      // one a card's state keeps until its transaction commits holds the line, not the chunk.
      if (lineEnd > pos)
        records.push({ line, fields: detached(text.slice(pos, lineEnd)).split(',') })
      pos = end + 1
      line++
      continue
    }
    const quoted = readQuotedRecord(text, pos, atEnd)
    if (quoted === undefined) {
      if (!atEnd && text.length - pos < MAX_RECORD_CHARS) break
      // A quote that never closes would swallow the rest of the file: report the line it
      // opens on and go on with the next line.
      records.push({ line, error: 'a quoted field is never closed' })
      pos = end + 1
      line++
      continue
    }
    records.push({ line, fields: quoted.fields })
    line += quoted.lineBreaks + 1
    pos = quoted.next
  }
  return { records, consumed: Math.min(pos, text.length), line }
}

/**
 * Reads one record holding quotes, character by character, from `start`. Returns undefined when
 * the text ends before the record does (inside quotes, or, before the end of the file, without
 * the closing line break).
 */
function readQuotedRecord(
  text: string,
  start: number,
  atEnd: boolean,
): { fields: string[]; next: number; lineBreaks: number } | undefined {
  const fields: string[] = []
  let field = ''
  let pos = start
  let lineBreaks = 0
  let inQuotes = false
  while (pos < text.length) {
    const c = text.charCodeAt(pos)
    if (inQuotes) {
      if (c === 34) {
        if (text.charCodeAt(pos + 1) === 34) {
          field += '"'
          pos += 2
          continue
        }
        // `""` may straddle the chunk boundary.
        if (pos + 1 >= text.length && !atEnd) return undefined
        inQuotes = false
      } else {
        if (c === 10) lineBreaks++
        field += text[pos]
      }
      pos++
      continue
    }
    if (c === 34 && field === '') {
      inQuotes = true
    } else if (c === 44) {
      fields.push(field)
      field = ''
    } else if (c === 10) {
      fields.push(field.endsWith('\r') ? field.slice(0, -1) : field)
      return { fields, next: pos + 1, lineBreaks }
    } else {
      // A quote inside an unquoted field is kept as it is (as spreadsheets write them).
      field += text[pos]
    }
    pos++
  }
  if (inQuotes || !atEnd) return undefined
  fields.push(field.endsWith('\r') ? field.slice(0, -1) : field)
  return { fields, next: pos, lineBreaks }
}
