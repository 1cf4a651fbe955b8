import { describe, expect, it } from 'vitest'
import {
  dueDiligenceCsv,
  escheatmentReport,
  type NaupaExport,
  naupaExport,
  naupaName,
  reportDue,
} from '../../analytics/index.ts'
import { cardOwners, type Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * The NAUPA files record by record and field by field (docs/escheatment.md has the layout). The
 * positions below are written out by hand from that table, 1-based as the layout gives them, so
 * a field moved in analytics/naupa.ts fails here.
 */
const at = (line: string, start: number, length: number) =>
  line.slice(start - 1, start - 1 + length)

const HOSTILE = '=X\r\nforged'

async function writeChain(database: Database): Promise<void> {
  const customer = (id: string, name: string, state: string, postal: string | null) => ({
    id,
    pseudonym: `cust_${id}`,
    name,
    email: `${id}@example.com`,
    phone: null,
    address_state: state,
    home_location_id: null,
    created_at: '2018-01-01T00:00:00.000Z',
    postal_code: postal,
  })
  await database.db
    .insertInto('customers')
    .values([
      customer('ny', 'Ann B. Lée', 'US-NY', '10001'),
      customer('ny2', 'Bob', 'US-NY', null),
      customer('de', 'Carol Diaz', 'US-DE', '19901-1234'),
    ])
    .execute()
  const card = (
    id: string,
    last4: string,
    holder: string | null,
    lastActivity: string,
    balance: number,
  ) => ({
    id,
    source: 'import' as const,
    gan_last4: last4,
    initial_value_cents: 20_000,
    balance_cents: balance,
    currency: 'USD',
    status: 'active' as const,
    issued_at: '2018-06-01T00:00:00.000Z',
    expires_at: null,
    holder_customer_id: holder,
    last_activity_at: lastActivity,
    updated_at: lastActivity,
  })
  await database.db
    .insertInto('gift_cards')
    .values([
      card('ny-1', '1111', 'ny', '2020-03-01T00:00:00.000Z', 12_345),
      card(HOSTILE, '2222', 'ny2', '2019-06-01T00:00:00.000Z', 2000),
      card('de-1', '3333', 'de', '2020-04-15T00:00:00.000Z', 9999),
      card('anon', '4444', null, '2020-02-01T00:00:00.000Z', 500),
      card('ny-recent', '5555', 'ny', '2024-01-01T00:00:00.000Z', 7000),
    ])
    .execute()
}

const HOLDER = {
  taxId: '123456789',
  name: 'Acme Gift Co',
  city: 'Wilmington',
  state: 'US-DE',
  incorporationState: 'US-DE',
  contact: 'Dana Finance',
  contactPhone: '3025550100',
  email: 'up@acme.example',
}

describe('naupaName', () => {
  it('keeps A-Z, 0-9, space and & and leaves punctuation out', () => {
    expect(naupaName("O'Brien-Smith & Co., Inc.", 30)).toBe('OBRIENSMITH & CO INC'.padEnd(30))
    expect(naupaName('  J. J.  Reynolds ', 12)).toBe('J J REYNOLDS')
    expect(naupaName('Zoë\tÅsa', 10)).toBe('ZOE ASA'.padEnd(10))
    expect(naupaName(null, 3)).toBe('   ')
  })
})

describe('reportDue', () => {
  it('follows each state’s cut-off and due date', () => {
    expect(reportDue('US-NY', '2025-03-01T00:00:00.000Z')).toBe('2026-03-10')
    expect(reportDue('US-DE', '2025-12-31T00:00:00.000Z')).toBe('2026-03-01')
    expect(reportDue('US-CA', '2025-06-30T00:00:00.000Z')).toBe('2025-11-01')
    expect(reportDue('US-CA', '2025-07-01T00:00:00.000Z')).toBe('2026-11-01')
    expect(reportDue('US-TX', '2025-02-01T00:00:00.000Z')).toBe('2025-07-01')
    expect(reportDue('US-IL', '2025-08-01T00:00:00.000Z')).toBe('2026-11-01')
  })
})

for (const dialect of DIALECTS) {
  describe(`NAUPA files (${dialect.name})`, () => {
    let out: NaupaExport
    useDatabase(dialect, async (database) => {
      await writeChain(database)
      const report = await escheatmentReport(database, { asOf: '2025-01-01', horizonMonths: 6 })
      const owners = await cardOwners(
        database.db,
        report.cards.map((c) => c.cardId),
      )
      out = naupaExport(report.cards, owners, HOLDER, {
        lastFour: new Map([...owners].map(([id, o]) => [id, o.last4])),
      })
    })

    it('writes one file per state and report year, 625-character records ending CR/LF', () => {
      expect(out.files.map((f) => f.fileName)).toEqual([
        'naupa-US-DE-2026.txt',
        'naupa-US-NY-2025.txt',
        'naupa-US-NY-2026.txt',
      ])
      for (const f of out.files) {
        expect(f.text.endsWith('\r\n')).toBe(true)
        const lines = f.text.slice(0, -2).split('\r\n')
        expect(lines).toHaveLength(f.properties + 2)
        for (const line of lines) {
          expect(line).toHaveLength(625)
          expect(line).toMatch(/^[\x20-\x7e]+$/)
        }
        expect(lines.map((l) => l[0]).join('')).toBe(`1${'2'.repeat(f.properties)}9`)
      }
    })

    it('lays out the holder record field by field', () => {
      const [holder = ''] = (out.files[0]?.text ?? '').split('\r\n')
      expect(at(holder, 1, 1)).toBe('1')
      expect(at(holder, 2, 9)).toBe('123456789')
      expect(at(holder, 11, 4)).toBe('    ')
      expect(at(holder, 15, 4)).toBe('2026')
      expect(at(holder, 19, 2)).toBe('01')
      expect(at(holder, 21, 4)).toBe('0000')
      expect(at(holder, 25, 2)).toBe('DE')
      expect(at(holder, 27, 8)).toBe('00000000')
      expect(at(holder, 35, 40)).toBe('ACME GIFT CO'.padEnd(40))
      expect(at(holder, 75, 30)).toBe('WILMINGTON'.padEnd(30))
      expect(at(holder, 105, 30)).toBe(' '.repeat(30))
      expect(at(holder, 135, 2)).toBe('DE')
      expect(at(holder, 137, 30)).toBe('DANA FINANCE'.padEnd(30))
      expect(at(holder, 167, 10)).toBe('3025550100')
      expect(at(holder, 177, 4)).toBe('0000')
      expect(at(holder, 181, 50)).toBe('UP@ACME.EXAMPLE'.padEnd(50))
      expect(at(holder, 231, 1)).toBe('R')
      expect(at(holder, 232, 394)).toBe(' '.repeat(394))
    })

    it('lays out a property record field by field, amounts with implied decimals', () => {
      const lines = (out.files[2]?.text ?? '').split('\r\n')
      const p = lines[1] ?? ''
      expect(at(p, 1, 1)).toBe('2')
      expect(at(p, 2, 6)).toBe('000001')
      expect(at(p, 8, 40)).toBe('LEE'.padEnd(40))
      expect(at(p, 48, 30)).toBe('ANN'.padEnd(30))
      // Name fields take A-Z, 0-9, space and & only: the initial's period is left out.
      expect(at(p, 78, 10)).toBe('B'.padEnd(10))
      expect(at(p, 88, 90)).toBe(' '.repeat(90)) // street lines: master data has none
      expect(at(p, 178, 30)).toBe(' '.repeat(30))
      expect(at(p, 208, 30)).toBe(' '.repeat(30))
      expect(at(p, 238, 2)).toBe('NY')
      expect(at(p, 240, 9)).toBe('10001    ')
      expect(at(p, 249, 3)).toBe('USA')
      expect(at(p, 252, 9)).toBe(' '.repeat(9))
      expect(at(p, 261, 8)).toBe('00000000')
      expect(at(p, 269, 8)).toBe('20200301')
      expect(at(p, 277, 4)).toBe('MS12')
      expect(at(p, 281, 10)).toBe('0000012345')
      expect(at(p, 291, 2)).toBe('  ')
      expect(at(p, 293, 10)).toBe('0000000000')
      expect(at(p, 303, 10)).toBe('0000012345')
      // Ownership code OT: an owner on file (NAUPA's codes: AP aggregate, OT, UN unknown).
      expect(at(p, 313, 2)).toBe('OT')
      expect(at(p, 315, 50)).toBe('GIFT CARD ENDING 1111'.padEnd(50))
      expect(at(p, 365, 40)).toBe('NY-1'.padEnd(40))
      expect(at(p, 405, 221)).toBe(' '.repeat(221))
      // The DE file: the anonymous card (incorporation) first, then Carol's with her ZIP+4.
      const de = (out.files[0]?.text ?? '').split('\r\n')
      // No owner on file: the last name is UNKNOWN and the ownership code UN.
      expect(at(de[1] ?? '', 8, 40)).toBe('UNKNOWN'.padEnd(40))
      expect(at(de[1] ?? '', 48, 30)).toBe(' '.repeat(30))
      expect(at(de[1] ?? '', 313, 2)).toBe('UN')
      expect(at(de[2] ?? '', 313, 2)).toBe('OT')
      expect(at(de[1] ?? '', 281, 10)).toBe('0000000500')
      expect(at(de[2] ?? '', 2, 6)).toBe('000002')
      expect(at(de[2] ?? '', 8, 40)).toBe('DIAZ'.padEnd(40))
      expect(at(de[2] ?? '', 240, 9)).toBe('199011234')
    })

    it('sums the file in the summary record', () => {
      const lines = (out.files[0]?.text ?? '').split('\r\n')
      const s = lines[3] ?? ''
      expect(at(s, 1, 1)).toBe('9')
      expect(at(s, 2, 6)).toBe('000004')
      expect(at(s, 8, 6)).toBe('000002')
      expect(at(s, 14, 12)).toBe('000000010499')
      expect(at(s, 26, 12)).toBe('000000000000')
      expect(at(s, 38, 12)).toBe('000000010499')
      expect(at(s, 50, 576)).toBe(' '.repeat(576))
    })

    it('keeps a hostile POS id on its own record, as text', () => {
      const lines = (out.files[1]?.text ?? '').split('\r\n').filter(Boolean)
      expect(lines).toHaveLength(3)
      expect(at(lines[1] ?? '', 365, 40)).toBe('=X  FORGED'.padEnd(40))
    })

    it('lists who must be notified, by when', () => {
      const rows = out.dueDiligence
      expect(rows.map((r) => [r.cardId, r.reportDue, r.notifyFrom, r.notifyBy, r.notice])).toEqual([
        [HOSTILE, '2025-03-10', '2024-11-10', '2025-01-09', 'not_required_under_50'],
        ['anon', '2026-03-01', '2025-11-01', '2025-12-31', 'no_owner_on_file'],
        ['de-1', '2026-03-01', '2025-11-01', '2025-12-31', 'required'],
        ['ny-1', '2026-03-10', '2025-11-10', '2026-01-09', 'required'],
      ])
      const text = dueDiligenceCsv(rows)
      // The hostile id is one quoted, neutralised cell (core/csv.ts), never a formula or a row.
      expect(text).toContain(`,"'=X\r\nforged",`)
      const csv = text.split('\r\n')
      expect(csv[0]).toBe(
        'notify_by,notify_from,notice,jurisdiction,report_due,file,sequence,card_id,owner_name,owner_state,owner_postal_code,balance,last_activity_at,deadline',
      )
      expect(csv).toContain(
        '2026-01-09,2025-11-10,required,US-NY,2026-03-10,naupa-US-NY-2026.txt,1,ny-1,Ann B. Lée,US-NY,10001,123.45,2020-03-01T00:00:00.000Z,2025-03-01',
      )
    })
  })
}
