import { type FileHandle, mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { csvRow } from '../core/index.ts'
import { type Database, scanCardOwners } from '../db/index.ts'
import type { EscheatCard } from './escheatment.ts'
import {
  DUE_DILIGENCE_COLUMNS,
  type DueDiligenceRow,
  dueDiligenceCells,
  NAUPA_LINE_END,
  type NaupaHolder,
  type NaupaReportFile,
  naupaRecords,
  sortDueDiligence,
} from './naupa.ts'

/** Text is written out in pieces of about this many characters (a few thousand records). */
const FLUSH_AT = 1 << 20

/** What `writeNaupaFiles` wrote. */
export type NaupaFilesWritten = {
  files: Omit<NaupaReportFile, 'text'>[]
  /** The path of `due-diligence.csv`. */
  dueDiligence: string
  /** Owners who must be written to (`notice` `required`). */
  notices: number
}

/**
 * `giftcards escheatment --naupa DIR` (docs/escheatment.md): the NAUPA file of each state and
 * report year, and `due-diligence.csv`, for the cards of an escheatment report. The owners come
 * from one pass over the cards (`scanCardOwners`); each file is written record by record as
 * `naupaRecords` makes them, the same bytes `naupaExport` returns, so a million-card chain never
 * holds a file's text in memory. Names and postal codes go into these files only (docs/privacy.md).
 */
export async function writeNaupaFiles(
  database: Pick<Database, 'adapter'>,
  cards: readonly EscheatCard[],
  holder: NaupaHolder,
  dir: string,
): Promise<NaupaFilesWritten> {
  const owners = await scanCardOwners(database, new Set(cards.map((c) => c.cardId)))
  const lastFour = new Map<string, string>()
  for (const [id, owner] of owners) lastFour.set(id, owner.last4)
  await mkdir(dir, { recursive: true })
  const files: NaupaFilesWritten['files'] = []
  const rows: DueDiligenceRow[] = []
  let out: BufferedFile | undefined
  try {
    for (const piece of naupaRecords(cards, owners, holder, rows, { lastFour })) {
      if (piece.kind === 'file') out = await BufferedFile.create(join(dir, piece.file.fileName))
      else if (piece.kind === 'record') await out?.write(`${piece.line}${NAUPA_LINE_END}`)
      else {
        await out?.close()
        out = undefined
        files.push(piece.file)
      }
    }
    const dueDiligence = join(dir, 'due-diligence.csv')
    out = await BufferedFile.create(dueDiligence)
    // As dueDiligenceCsv writes it: the header, then a row per card, each line CR/LF.
    await out.write(`${csvRow(DUE_DILIGENCE_COLUMNS)}\r\n`)
    let notices = 0
    for (const row of sortDueDiligence(rows)) {
      if (row.notice === 'required') notices++
      await out.write(`${csvRow(dueDiligenceCells(row))}\r\n`)
    }
    await out.close()
    out = undefined
    return { files, dueDiligence, notices }
  } finally {
    await out?.close()
  }
}

/** A file written in large pieces: text is gathered and handed to the OS about 1 MB at a time. */
class BufferedFile {
  private pending: string[] = []
  private size = 0

  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<BufferedFile> {
    return new BufferedFile(await open(path, 'w'))
  }

  async write(text: string): Promise<void> {
    this.pending.push(text)
    this.size += text.length
    if (this.size >= FLUSH_AT) await this.flush()
  }

  async close(): Promise<void> {
    try {
      await this.flush()
    } finally {
      await this.handle.close()
    }
  }

  private async flush(): Promise<void> {
    if (this.size === 0) return
    const text = this.pending.join('')
    this.pending = []
    this.size = 0
    await this.handle.write(text, null, 'utf8')
  }
}
