import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { ColumnPage, Database } from '../../db/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')
if (!sqlite) throw new Error('the SQLite dialect always runs')

describe('columnar scan on a worker thread (SQLite)', () => {
  let database: Database
  useDatabase(sqlite, async (opened) => {
    database = opened
    await sql`create table scan_rows (n integer, kind text, label text, amount real)`.execute(
      database.db,
    )
    // 2,500 rows: kinds repeat (a dictionary), labels do not, every 7th row has NULLs.
    await database.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 2_500; n++)
        await sql`insert into scan_rows values (${n}, ${n % 7 === 0 ? null : `kind-${n % 3}`},
          ${n % 7 === 0 ? null : `label-${n}`}, ${n % 7 === 0 ? null : n / 4})`.execute(trx)
    })
  })

  const scan = async (pageSize: number, onPage?: (page: ColumnPage) => void) => {
    const rows: unknown[][] = []
    const scanColumns = database.adapter.scanColumns
    if (!scanColumns) throw new Error('SQLite on a file scans on a worker')
    await scanColumns(
      {
        sql: 'select n, kind, label, amount from scan_rows where n >= ? order by n',
        parameters: [0],
      },
      ['number', 'dictionary', 'text', 'number'],
      (page) => {
        onPage?.(page)
        for (let r = 0; r < page.rows; r++)
          rows.push(page.columns.map((column) => column[r] ?? null))
      },
      pageSize,
    )
    return rows
  }

  it('returns every row in order, repeated text decoded across pages, NULLs kept', async () => {
    const pages: number[] = []
    const rows = await scan(300, (page) => pages.push(page.rows))
    expect(pages).toEqual([300, 300, 300, 300, 300, 300, 300, 300, 100])
    expect(rows).toHaveLength(2_500)
    for (const [i, row] of rows.entries()) {
      if (i % 7 === 0) {
        expect(row[1]).toBeNull()
        expect(row[2]).toBeNull()
        expect(Number.isNaN(row[3])).toBe(true)
      } else expect(row).toEqual([i, `kind-${i % 3}`, `label-${i}`, i / 4])
    }
  })

  it('fails with the engine’s error, and stops when the caller fails', async () => {
    const scanColumns = database.adapter.scanColumns
    if (!scanColumns) throw new Error('SQLite on a file scans on a worker')
    await expect(
      scanColumns({ sql: 'select x from nowhere', parameters: [] }, ['text'], () => {}),
    ).rejects.toThrow(/the scan failed: no such table: nowhere/)
    let pages = 0
    await expect(
      scan(100, () => {
        pages++
        if (pages === 3) throw new Error('the detectors gave up')
      }),
    ).rejects.toThrow('the detectors gave up')
    expect(pages).toBe(3)
    // The connection is still good for the next scan.
    expect(await scan(1_000)).toHaveLength(2_500)
  })
})
