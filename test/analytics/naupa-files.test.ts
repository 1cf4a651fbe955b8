import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  dueDiligenceCsv,
  escheatmentReport,
  naupaExport,
  writeNaupaFiles,
} from '../../analytics/index.ts'
import { parseDate } from '../../core/index.ts'
import { cardOwners, type Database } from '../../db/index.ts'
import { seedChain } from '../../synth/seed.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * `writeNaupaFiles` streams the NAUPA files to disk (docs/escheatment.md, "At scale"); here its
 * bytes are checked against the in-memory path (`naupaExport` over the owners looked up by id,
 * `dueDiligenceCsv`) on a seeded chain, file by file.
 */
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

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

for (const dialect of DIALECTS) {
  describe(`NAUPA files streamed to disk on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, async (d) => {
      database = d
      await seedChain(d, { cards: 500, seed: 5, startMs: parseDate('2024-12-01'), months: 24 })
    })

    it('writes the same bytes as the in-memory export, every file and the due-diligence list', async () => {
      // Far enough ahead that the chain's dormant cards reach their deadlines.
      const report = await escheatmentReport(database, { asOf: '2030-01-01', horizonMonths: 24 })
      expect(report.cards.length).toBeGreaterThan(50)
      const owners = await cardOwners(
        database.db,
        report.cards.map((c) => c.cardId),
      )
      const expected = naupaExport(report.cards, owners, HOLDER, {
        lastFour: new Map([...owners].map(([id, o]) => [id, o.last4])),
      })
      const dir = mkdtempSync(join(tmpdir(), 'giftcards-naupa-'))
      dirs.push(dir)
      const written = await writeNaupaFiles(database, report.cards, HOLDER, dir)

      expect(written.files).toEqual(expected.files.map(({ text: _text, ...f }) => f))
      expect(written.files.length).toBeGreaterThan(1)
      expect(readdirSync(dir).sort()).toEqual(
        [...expected.files.map((f) => f.fileName), 'due-diligence.csv'].sort(),
      )
      for (const f of expected.files)
        expect(readFileSync(join(dir, f.fileName)).equals(Buffer.from(f.text, 'ascii'))).toBe(true)
      expect(
        readFileSync(written.dueDiligence).equals(
          Buffer.from(dueDiligenceCsv(expected.dueDiligence), 'utf8'),
        ),
      ).toBe(true)
      expect(written.notices).toBe(
        expected.dueDiligence.filter((r) => r.notice === 'required').length,
      )
      // The owners came through (names on file), not blanks on both sides.
      expect(expected.dueDiligence.some((r) => r.ownerName !== null)).toBe(true)
    })
  })
}
