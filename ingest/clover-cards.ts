import { readFileSync, statSync } from 'node:fs'
import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import type { CloverCardResolution } from './sources/clover.ts'

/** The largest gift card file read (a million cards is about 60 MB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024

/** One Clover gift card the ledger knows how to name and how to read the balance of. */
export type CloverCard = {
  /** The ledger's card id (the one an import or an earlier sync used). */
  cardId: string
  last4: string
  /** The first six digits, when known: narrows the match of a payment's masked number. */
  first6?: string
  /** A Clover gift card token (`clv_…`) for the balance inquiry; absent: not read. */
  token?: string
  /** The merchant whose API token reads the balance (default: the first configured). */
  merchantId?: string
}

const rowSchema = z.object({
  card_id: z.string().min(1).max(200),
  last4: z.string().regex(/^\d{4}$/, 'must be the last 4 digits'),
  first6: z
    .string()
    .regex(/^(\d{6})?$/, 'must be 6 digits or empty')
    .optional(),
  token: z.string().max(500).optional(),
  merchant_id: z
    .string()
    .regex(/^([A-Za-z0-9]{1,32})?$/, 'must be a Clover merchant id or empty')
    .optional(),
})

const COLUMNS = ['card_id', 'last4', 'first6', 'token', 'merchant_id'] as const

/**
 * Which ledger card a Clover gift card is. Clover's REST API names a gift card payment only by
 * the card's masked number (`first6`, `last4`), never by the number or an id, so a payment is
 * matched to a card only when exactly one known card has those digits; otherwise it is left
 * unresolved (never guessed): docs/pos-sources.md.
 */
export class CloverCardMap {
  private readonly byLast4 = new Map<string, CloverCard[]>()

  constructor(readonly cards: readonly CloverCard[]) {
    for (const card of cards) {
      const list = this.byLast4.get(card.last4)
      if (list) list.push(card)
      else this.byLast4.set(card.last4, [card])
    }
  }

  /** The card a payment's masked number names, or why it cannot be told. */
  resolve(masked: { last4?: string | null; first6?: string | null }): CloverCardResolution {
    if (!masked.last4) return { unresolved: 'Clover sent no last 4 digits for this gift card' }
    const candidates = (this.byLast4.get(masked.last4) ?? []).filter(
      (c) => !masked.first6 || !c.first6 || c.first6 === masked.first6,
    )
    if (candidates.length === 1) return { cardRef: (candidates[0] as CloverCard).cardId }
    if (candidates.length === 0)
      return { unresolved: `no card ending ${masked.last4} in CLOVER_GIFT_CARDS_FILE` }
    return {
      unresolved: `${candidates.length} cards end ${masked.last4}${masked.first6 ? ` and start ${masked.first6}` : ''}: Clover does not say which`,
    }
  }
}

/**
 * Reads `CLOVER_GIFT_CARDS_FILE`: CSV with a header, columns `card_id,last4` and optionally
 * `first6,token,merchant_id`, any order. Bad rows are reported by line (INVALID_INPUT), the
 * file is never half-read. No file: an empty map (every gift card payment is unresolved).
 */
export function loadCloverCards(path: string | undefined): CloverCardMap {
  if (!path) return new CloverCardMap([])
  let text: string
  try {
    if (statSync(path).size > MAX_FILE_BYTES)
      throw new GiftCardError('CONFIG_INVALID', `CLOVER_GIFT_CARDS_FILE is over 256 MB: ${path}`)
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof GiftCardError) throw err
    throw new GiftCardError('CONFIG_INVALID', `CLOVER_GIFT_CARDS_FILE cannot be read: ${path}`)
  }
  return new CloverCardMap(parseCloverCards(text))
}

/** Parses the gift card CSV (see loadCloverCards); fields are ids and digits, never quoted. */
export function parseCloverCards(text: string): CloverCard[] {
  const lines = text.split(/\r?\n/)
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase())
  for (const required of ['card_id', 'last4'])
    if (!header.includes(required))
      throw new GiftCardError(
        'INVALID_INPUT',
        `CLOVER_GIFT_CARDS_FILE line 1: the header needs ${required} (columns: ${COLUMNS.join(',')})`,
      )
  const cards: CloverCard[] = []
  const problems: string[] = []
  const seen = new Set<string>()
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.trim() === '') continue
    const fields = line.split(',').map((f) => f.trim())
    const raw: Record<string, string> = {}
    for (const [j, name] of header.entries()) if (fields[j]) raw[name] = fields[j] as string
    const parsed = rowSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      problems.push(
        `line ${i + 1}: ${issue?.path.join('.') || 'row'} ${issue?.message ?? 'is invalid'}`,
      )
      continue
    }
    const row = parsed.data
    if (seen.has(row.card_id)) {
      problems.push(`line ${i + 1}: card_id ${row.card_id} appears twice`)
      continue
    }
    seen.add(row.card_id)
    cards.push({
      cardId: row.card_id,
      last4: row.last4,
      ...(row.first6 ? { first6: row.first6 } : {}),
      ...(row.token ? { token: row.token } : {}),
      ...(row.merchant_id ? { merchantId: row.merchant_id } : {}),
    })
    if (problems.length > 20) break
  }
  if (problems.length > 0)
    throw new GiftCardError(
      'INVALID_INPUT',
      `CLOVER_GIFT_CARDS_FILE has bad rows: ${problems.slice(0, 20).join('; ')}`,
    )
  return cards
}
