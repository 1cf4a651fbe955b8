import { createHmac } from 'node:crypto'

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

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
/** North American numbers with separators, and international ones written with a plus. */
const PHONE =
  /(?:\+?1[\s.-])?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+1-\d{3}-\d{3}-\d{4}\b|\+\d{10,15}\b/g

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

  token(kind: string, value: string): string {
    const digest = createHmac('sha256', this.#key).update(`${kind}:${value.trim().toLowerCase()}`)
    return `${kind}_${digest.digest('hex').slice(0, 10)}`
  }

  /** Tokens for email addresses and phone numbers found in free text. */
  scrubText(text: string): string {
    return text
      .replace(EMAIL, (m) => this.token('email', m))
      .replace(PHONE, (m) => this.token('phone', m.replace(/[^\d+]/g, '')))
  }

  /** A deep copy of `value` with PII fields tokenised and free text scrubbed. */
  scrub<T>(value: T): T {
    return this.#walk(value, undefined) as T
  }

  #walk(value: unknown, key: string | undefined): unknown {
    if (typeof value === 'string') {
      const kind = key ? PII_KEYS.get(key.toLowerCase()) : undefined
      return kind ? this.token(kind, value) : this.scrubText(value)
    }
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, undefined))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) out[k] = this.#walk(v, k)
      return out
    }
    return value
  }
}
