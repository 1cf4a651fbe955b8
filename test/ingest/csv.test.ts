import { describe, expect, it } from 'vitest'
import { type CsvError, type CsvRecord, readCsv } from '../../ingest/csv.ts'

/** Reads `text` fed in chunks of `size` bytes (1: every byte boundary is a chunk boundary). */
async function read(text: string, size = 1 << 20): Promise<(CsvRecord | CsvError)[]> {
  const bytes = Buffer.from(text, 'utf8')
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
  }
  const out: (CsvRecord | CsvError)[] = []
  for await (const records of readCsv(chunks())) out.push(...records)
  return out
}

const TRICKY = [
  '\uFEFFa,b,c',
  'plain,"quoted, with comma","say ""hi"""',
  '',
  'crlf,line,end\r',
  '"two',
  'lines",x,"€ and ✓"',
  ',,',
  'last,"",no newline',
].join('\n')

const EXPECTED = [
  { line: 1, fields: ['a', 'b', 'c'] },
  { line: 2, fields: ['plain', 'quoted, with comma', 'say "hi"'] },
  { line: 4, fields: ['crlf', 'line', 'end'] },
  { line: 5, fields: ['two\nlines', 'x', '€ and ✓'] },
  { line: 7, fields: ['', '', ''] },
  { line: 8, fields: ['last', '', 'no newline'] },
]

describe('the CSV reader', () => {
  it('reads RFC 4180 quoting, CRLF, a byte-order mark and empty lines, with line numbers', async () => {
    expect(await read(TRICKY)).toEqual(EXPECTED)
  })

  it('reads the same records whatever the chunk boundaries (multi-byte characters split too)', async () => {
    for (const size of [1, 2, 3, 7, 64]) expect(await read(TRICKY, size)).toEqual(EXPECTED)
  })

  it('reports a quote that never closes at the line it opens on, and nothing after it is lost in a long file', async () => {
    expect(await read('a,b\n1,"open\n2,3\n', 4)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'a quoted field is never closed' },
      { line: 3, fields: ['2', '3'] },
    ])
    // Past 1 MiB the reader stops waiting for the quote to close and goes on with the next line.
    const filler = Array.from({ length: 40_000 }, (_, i) => `${i},row number ${i}`).join('\n')
    const records = await read(`a,b\n1,"open\n${filler}\n`, 65_536)
    expect(records[1]).toEqual({ line: 2, error: 'a quoted field is never closed' })
    expect(records.at(-1)).toEqual({ line: 40_002, fields: ['39999', 'row number 39999'] })
    expect(records).toHaveLength(40_002)
  })

  it('keeps a stray quote inside an unquoted field as it is', async () => {
    expect(await read('5" screen,x\n')).toEqual([{ line: 1, fields: ['5" screen', 'x'] }])
  })
})
