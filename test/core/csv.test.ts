import { describe, expect, it } from 'vitest'
import { escheatmentCsv, escheatmentReport } from '../../analytics/index.ts'
import { differencesCsv } from '../../cli/actions/reconcile.ts'
import { csvCell, csvText } from '../../core/index.ts'
import { toCsv } from '../../tools/ledger-metrics.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** RFC 4180 as a spreadsheet reads it: quoted cells may hold commas, quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else cell += ch
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell])
  return rows
}

/** What a spreadsheet would run as a formula: a cell whose first character is a trigger. */
const isFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^[+-]?\d+(\.\d+)?$/.test(cell)

describe('csvCell (OWASP CSV injection)', () => {
  it.each([
    ['=1+2', `"'=1+2"`],
    ['+SUM(A1)', `"'+SUM(A1)"`],
    ['-2+3', `"'-2+3"`],
    ['@cmd', `"'@cmd"`],
    ['\tx', `"'\tx"`],
    ['\rx', `"'\rx"`],
    ['=HYPERLINK("http://x")\nfoo', `"'=HYPERLINK(""http://x"")\nfoo"`],
  ])('neutralises %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected)
  })

  it('keeps numbers numbers, signed decimal text too, and quotes separators', () => {
    expect(csvCell(-1250)).toBe('-1250')
    expect(csvCell('-12.50')).toBe('-12.50')
    expect(csvCell('+3')).toBe('+3')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
    expect(csvCell(null)).toBe('')
    expect(csvCell('plain')).toBe('plain')
    expect(csvText(['a'], [['=x']], '\n')).toBe(`a\n"'=x"\n`)
  })

  it('is what the metrics and reconcile CSVs use', () => {
    const metrics = toCsv(
      ['location'],
      [{ keys: { location: '=cmd|"/c calc"!A1' }, count: 1, amountCents: -1250 }],
    )
    const rows = parseCsv(metrics)
    expect(rows).toHaveLength(2)
    expect(rows[1]?.[0]).toBe(`'=cmd|"/c calc"!A1`)
    expect(rows[1]?.[2]).toBe('-1250')
    const differences = differencesCsv({
      balances: [
        {
          cardId: '@SUM(1)',
          last4: '0000',
          asOf: '2026-01-01',
          fileCents: -5,
          ledgerCents: 0,
          differenceCents: -5,
          explainedCents: 0,
          store: null,
          line: 2,
        },
      ],
      missingFromLedger: [],
      onlyInLedger: [],
    } as unknown as Parameters<typeof differencesCsv>[0])
    const diffRows = parseCsv(differences)
    expect(diffRows).toHaveLength(2)
    expect(diffRows[1]?.some(isFormula)).toBe(false)
    expect(diffRows[1]).toContain('-5')
  })
})

for (const dialect of DIALECTS) {
  describe(`escheatment CSV with a hostile POS card id (${dialect.name})`, () => {
    const hostile = '=HYPERLINK("http://x")\nfoo'
    let database: Parameters<typeof escheatmentReport>[0]
    useDatabase(dialect, async (db) => {
      database = db
      await db.db
        .insertInto('customers')
        .values({
          id: 'cust-1',
          pseudonym: 'cust_1',
          name: null,
          email: null,
          phone: null,
          address_state: 'US-NY',
          home_location_id: null,
          created_at: '2018-01-01T00:00:00.000Z',
        })
        .execute()
      await db.db
        .insertInto('gift_cards')
        .values({
          id: hostile,
          source: 'import',
          gan_last4: '0000',
          initial_value_cents: 5000,
          balance_cents: 1250,
          currency: 'USD',
          status: 'active',
          issued_at: '2018-06-01T00:00:00.000Z',
          expires_at: null,
          holder_customer_id: 'cust-1',
          last_activity_at: '2019-06-01T00:00:00.000Z',
          updated_at: '2019-06-01T00:00:00.000Z',
        })
        .execute()
    })

    it('gives no formula and no forged row', async () => {
      const csv = escheatmentCsv(
        await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 }),
      )
      const rows = parseCsv(csv)
      expect(rows).toHaveLength(2)
      const [card] = rows.slice(1)
      expect(card?.[0]).toBe(`'${hostile}`)
      expect(card?.some(isFormula)).toBe(false)
      expect(card?.[3]).toBe('12.50')
      expect(card?.[1]).toBe('US-NY')
    })
  })
}
