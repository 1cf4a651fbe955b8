import { createHmac, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'

/**
 * Signed checkpoints of the audit chain's head, kept outside the table (docs/audit.md): an
 * append-only file of JSON lines and, optionally, a webhook. A checkpoint says "the log reached
 * row `lastId`, whose hash was `lastHash`, with `count` rows, keyed from row `keyedFrom`",
 * signed with AUDIT_KEY, so rows deleted from the end, or rows rewritten, no longer match it.
 */

/** The head of the chain at one moment. */
export type AuditHead = {
  lastId: number
  lastHash: string
  count: number
  /** The first row hashed with the key (rows before it are of an old ledger); null if none yet. */
  keyedFrom: number | null
}

/** One line of the checkpoint file, and the body of the webhook's POST. */
export type AuditCheckpoint = AuditHead & {
  at: string
  /** Hex HMAC-SHA256 (AUDIT_KEY) of the other fields (see checkpointMessage). */
  signature: string
}

/** A checkpoint read back from the file, with its line number (from 1). */
export type StoredCheckpoint = AuditCheckpoint & { line: number }

/** What reading the checkpoint file found. */
export type CheckpointFileReading =
  | { exists: false }
  | {
      exists: true
      /** Lines that parse and whose signature holds under the key. */
      valid: StoredCheckpoint[]
      /** Lines that do not parse, or whose signature does not hold. */
      invalid: { line: number; reason: 'malformed' | 'signature' }[]
    }

/** A line longer than this is not a checkpoint (a checkpoint is about 250 characters). */
const MAX_LINE = 2048

const checkpointSchema = z.object({
  at: z.string().max(40),
  lastId: z.number().int().min(0),
  lastHash: z.string().max(128),
  count: z.number().int().min(0),
  keyedFrom: z.number().int().min(1).nullable(),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
})

/** What a checkpoint's signature covers: a tag (so no other signed text can pass) and its fields. */
function checkpointMessage(c: AuditHead & { at: string }): string {
  return JSON.stringify([
    'giftcards.audit_checkpoint.v1',
    c.at,
    c.lastId,
    c.lastHash,
    c.count,
    c.keyedFrom,
  ])
}

function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex')
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Signs the head as of `at`. */
export function signCheckpoint(head: AuditHead, key: string, at: string): AuditCheckpoint {
  const unsigned = {
    at,
    lastId: head.lastId,
    lastHash: head.lastHash,
    count: head.count,
    keyedFrom: head.keyedFrom,
  }
  return { ...unsigned, signature: hmacHex(key, checkpointMessage(unsigned)) }
}

/** True when the checkpoint's signature holds under `key`. */
export function checkpointSignatureHolds(checkpoint: AuditCheckpoint, key: string): boolean {
  return sameText(checkpoint.signature, hmacHex(key, checkpointMessage(checkpoint)))
}

/**
 * Appends one checkpoint as a JSON line (the folder is made if missing) and syncs it to disk.
 * One `write` per line on a file opened for appending: lines from two processes never mix.
 */
export async function appendCheckpointFile(
  file: string,
  checkpoint: AuditCheckpoint,
): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const handle = await open(file, 'a', 0o600)
  try {
    await handle.write(`${JSON.stringify(checkpoint)}\n`)
    await handle.datasync()
  } finally {
    await handle.close()
  }
}

/**
 * The webhook's signature header, as the generic POS webhook signs (docs/audit.md):
 * `x-giftcards-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(AUDIT_KEY, t + "." + body)>`.
 */
export function checkpointWebhookSignature(
  key: string,
  body: string,
  unixSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${unixSeconds},v1=${hmacHex(key, `${unixSeconds}.${body}`)}`
}

/** How long the checkpoint webhook may take to answer. */
const WEBHOOK_TIMEOUT_MS = 5000

/** POSTs the checkpoint as JSON, signed; any answer but 2xx is a failure. */
export async function postCheckpoint(
  url: string,
  checkpoint: AuditCheckpoint,
  key: string,
): Promise<void> {
  const body = JSON.stringify(checkpoint)
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-giftcards-signature': checkpointWebhookSignature(key, body),
    },
    body,
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  }).catch((cause: unknown) => {
    throw new GiftCardError(
      'INTERNAL',
      `the audit checkpoint webhook could not be reached: ${(cause as Error).message}`,
      { cause },
    )
  })
  await response.body?.cancel()
  if (!response.ok)
    throw new GiftCardError(
      'INTERNAL',
      `the audit checkpoint webhook answered HTTP ${response.status}`,
    )
}

/**
 * Reads every line of the checkpoint file and checks each signature under `key`. Reads in
 * chunks and skips over-long lines without holding them, so a damaged file cannot exhaust memory.
 */
export async function readCheckpointFile(
  file: string,
  key: string,
): Promise<CheckpointFileReading> {
  const valid: StoredCheckpoint[] = []
  const invalid: { line: number; reason: 'malformed' | 'signature' }[] = []
  try {
    for await (const { line, text } of linesOf(file)) {
      if (text !== null && text.trim() === '') continue
      const parsed = text === null ? undefined : parseCheckpoint(text)
      if (!parsed) invalid.push({ line, reason: 'malformed' })
      else if (!checkpointSignatureHolds(parsed, key)) invalid.push({ line, reason: 'signature' })
      else valid.push({ ...parsed, line })
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false }
    throw err
  }
  return { exists: true, valid, invalid }
}

function parseCheckpoint(text: string): AuditCheckpoint | undefined {
  try {
    const result = checkpointSchema.safeParse(JSON.parse(text))
    return result.success ? result.data : undefined
  } catch {
    return undefined
  }
}

/** The file's lines with their numbers; `text` is null for a line longer than MAX_LINE. */
async function* linesOf(file: string): AsyncGenerator<{ line: number; text: string | null }> {
  let line = 0
  let partial = ''
  let tooLong = false
  for await (const chunk of createReadStream(file, { encoding: 'utf8' }) as AsyncIterable<string>) {
    let start = 0
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, end)
      line++
      yield {
        line,
        text: tooLong || partial.length + piece.length > MAX_LINE ? null : partial + piece,
      }
      partial = ''
      tooLong = false
      start = end + 1
    }
    const rest = chunk.slice(start)
    if (tooLong || partial.length + rest.length > MAX_LINE) {
      tooLong = true
      partial = ''
    } else partial += rest
  }
  if (tooLong || partial !== '') yield { line: line + 1, text: tooLong ? null : partial }
}
