import { describe, expect, it } from 'vitest'
import {
  CSV_OPTIONAL,
  CSV_REQUIRED,
  layoutOf,
  schemaRead,
  wellFormed,
} from '../../ingest/read-rows.ts'

const COLUMNS = [...CSV_REQUIRED, ...CSV_OPTIONAL]
const GOOD: Record<string, string> = {
  event_id: 'seed-0000l4gn',
  occurred_at: '2024-01-01T12:33:17.383Z',
  card_id: 'gc_825d9e04',
  type: 'activate',
  amount: '50.00',
  currency: 'USD',
  balance_after: '50.00',
  location_id: 'loc_010',
  terminal_id: 'web-e3f1f630',
  order_id: 'ord_000v7ew',
  customer_id: 'cus_0087134',
  employee_id: 'emp_1',
  items: 'GC-50:gift_cards:50.00',
  original_event_id: '',
}

/** Values each column is tried with, good and bad, at the schema's edges. */
const TRIES: Record<string, string[]> = {
  event_id: ['', ' ', ' e1 ', 'x'.repeat(200), 'x'.repeat(201), 'é✓'],
  occurred_at: [
    '2024-01-01T12:33:17Z',
    '2024-01-01T12:33:17.1234567Z',
    '2024-01-01T12:33:17+05:30',
    '2024-01-01T12:33:17-23:59',
    '2024-01-01T12:33:17+24:00',
    '2024-01-01T12:33Z',
    '2024-01-01T24:00:00Z',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01 12:33:17Z',
    '2024-01-01',
    'yesterday',
    ' 2024-01-01T12:33:17Z ',
  ],
  card_id: ['', 'c'.repeat(200), 'c'.repeat(201)],
  type: ['redeem', 'Balance Inquiry', 'teleport', 't'.repeat(64), 't'.repeat(65), ''],
  amount: ['0', '1', '1.5', '1.50', '1.505', '-1.00', '+1', '1e3', '.5', '5.', '00.10', '', '１'],
  currency: ['usd', 'US', 'USDD', 'U$D', '', ' eur '],
  balance_after: ['', '0.00', '-1', '1.234', 'abc'],
  location_id: ['', 'l'.repeat(200), 'l'.repeat(201)],
  items: ['', 'anything at all; even:bad'],
  original_event_id: ['', 'e0', 'o'.repeat(201)],
}

describe('the CSV fast path (ingest/read-rows.ts wellFormed)', () => {
  it('reads every row it takes exactly as the schema does, and leaves the rest to the schema', () => {
    const layout = layoutOf(COLUMNS)
    let taken = 0
    let left = 0
    const check = (values: Record<string, string>) => {
      const fields = COLUMNS.map((c) => values[c] ?? '')
      const fast = wellFormed(layout, fields)
      const slow = schemaRead(COLUMNS, fields)
      if (fast) {
        taken++
        expect(slow, JSON.stringify(values)).toEqual(fast)
      } else {
        left++
        // A row it leaves is one the schema refuses, or one it reads only at its edges
        // (none here: every well-formed try is taken).
        expect('error' in slow, JSON.stringify(values)).toBe(true)
      }
    }
    check(GOOD)
    for (const [column, tries] of Object.entries(TRIES))
      for (const value of tries) check({ ...GOOD, [column]: value })
    // Both paths were taken many times: the test would fail if either never ran.
    expect(taken).toBeGreaterThan(25)
    expect(left).toBeGreaterThan(25)
  })

  it('leaves a short row to the schema, which names the missing field', () => {
    const layout = layoutOf(COLUMNS)
    const fields = COLUMNS.slice(0, 5).map((c) => GOOD[c] as string)
    expect(wellFormed(layout, fields)).toBeUndefined()
    expect(schemaRead(COLUMNS, fields)).toHaveProperty('error')
  })
})
