import { createHmac } from 'node:crypto'
import { canonicalPhone, findPii } from './pii-text.ts'

/**
 * Field names whose values are personal data, wherever they appear in a result. A bare `name`
 * is left alone: in this ledger it names stores, campaigns and products, and no tool selects a
 * customer's name.
 */
const PII_KEYS = new Map<string, string>([
  ['first_name', 'name'],
  ['last_name', 'name'],
  ['full_name', 'name'],
  ['customer_name', 'name'],
  ['holder_name', 'name'],
  ['purchaser_name', 'name'],
  ['firstname', 'name'],
  ['lastname', 'name'],
  ['fullname', 'name'],
  ['customername', 'name'],
  ['email', 'email'],
  ['email_address', 'email'],
  ['emailaddress', 'email'],
  ['phone', 'phone'],
  ['phone_number', 'phone'],
  ['phonenumber', 'phone'],
  ['mobile', 'phone'],
])

/**
 * Keys whose string values are ledger identifiers a model must be able to quote back (a POS may
 * number its cards `7165550179`): kept as they are when they are one token, no spaces.
 */
const IDENTIFIER_KEYS = new Set([
  'cardid',
  'card_id',
  'cardids',
  'orderid',
  'order_id',
  'orderids',
  'order_ids',
  // A case file's timeline names each event's order `order`, and its list of them `orders`.
  'order',
  'orders',
])
const ONE_TOKEN = 200

/**
 * Replaces personal data with stable tokens (`email_3f9a1c20d4`): the same value always gives
 * the same token under one key (HMAC-SHA256), so a model can still tell two customers apart and
 * follow one across results, but can never read who they are. Applied to every tool result and
 * every message before a model sees it.
 */
export class Pseudonymiser {
  readonly #key: string

  constructor(key: string) {
    this.#key = key
  }

  /**
   * The token for one value. A phone number is tokenised in its canonical form (`+17165550179`),
   * so `(716) 555-0179` in a note and `716.555.0179` in a phone field are one customer.
   */
  token(kind: string, value: string): string {
    return this.#token(kind, kind === 'phone' ? (canonicalPhone(value) ?? value) : value)
  }

  #token(kind: string, canonical: string): string {
    const digest = createHmac('sha256', this.#key).update(
      `${kind}:${canonical.trim().toLowerCase()}`,
    )
    return `${kind}_${digest.digest('hex').slice(0, 10)}`
  }

  /**
   * Tokens for the email addresses and phone numbers in free text, everything else verbatim.
   * Linear in the text's length, whatever it holds (governance/pii-text.ts, docs/privacy.md).
   */
  scrubText(text: string): string {
    const spans = findPii(text)
    if (spans.length === 0) return text
    let out = ''
    let at = 0
    for (const span of spans) {
      out += text.slice(at, span.start) + this.#token(span.kind, span.value)
      at = span.end
    }
    return out + text.slice(at)
  }

  /** A deep copy of `value` with PII fields tokenised and free text scrubbed. */
  scrub<T>(value: T): T {
    return this.#walk(value, undefined) as T
  }

  #walk(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      const name = key?.toLowerCase()
      const kind = name ? PII_KEYS.get(name) : undefined
      if (kind) return this.token(kind, value)
      if (name && IDENTIFIER_KEYS.has(name) && isOneToken(value)) return value
      return this.scrubText(value)
    }
    // The items of a list are what its key names (`cardIds: […]`, `emails: […]`).
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, key))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.#walk(v, k)
      return out
    }
    return value
  }
}

/** A short value without spaces: an identifier, not a sentence that could hide a phone number. */
function isOneToken(value: string): boolean {
  return value.length <= ONE_TOKEN && !/\s/.test(value)
}
