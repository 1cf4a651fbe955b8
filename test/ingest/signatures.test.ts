import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  genericSource,
  hmac,
  shopifySource,
  signGeneric,
  squareSource,
} from '../../ingest/index.ts'

type Vector = { key: string; url: string; body: string; signature: string }
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/square/signature-vectors.json'), 'utf8'),
) as Vector[]

const headers = (entries: Record<string, string>) => new Headers(entries)

describe('Square signatures', () => {
  it.each(vectors.map((v, i) => [i, v] as const))('vector %i verifies', (_i, v) => {
    const source = squareSource({ signatureKey: v.key, notificationUrl: v.url })
    expect(source.verify(v.body, headers({ 'x-square-hmacsha256-signature': v.signature }))).toBe(
      true,
    )
  })

  it.each(vectors.map((v, i) => [i, v] as const))('vector %i fails when tampered with', (_i, v) => {
    const sig = headers({ 'x-square-hmacsha256-signature': v.signature })
    expect(
      squareSource({ signatureKey: v.key, notificationUrl: v.url }).verify(`${v.body} `, sig),
    ).toBe(false)
    expect(
      squareSource({ signatureKey: v.key, notificationUrl: `${v.url}/` }).verify(v.body, sig),
    ).toBe(false)
    expect(
      squareSource({ signatureKey: `${v.key}x`, notificationUrl: v.url }).verify(v.body, sig),
    ).toBe(false)
    expect(
      squareSource({ signatureKey: v.key, notificationUrl: v.url }).verify(v.body, headers({})),
    ).toBe(false)
  })
})

describe('Shopify signatures', () => {
  it('is base64 HMAC-SHA256 of the raw body', () => {
    const source = shopifySource({ secret: 's3cret' })
    const body = '{"id":1}'
    expect(
      source.verify(body, headers({ 'x-shopify-hmac-sha256': hmac('s3cret', body, 'base64') })),
    ).toBe(true)
    expect(
      source.verify(
        '{"id":2}',
        headers({ 'x-shopify-hmac-sha256': hmac('s3cret', body, 'base64') }),
      ),
    ).toBe(false)
  })
})

describe('generic signatures', () => {
  const now = 1_750_000_000_000
  const source = genericSource({ secret: 'g', now: () => now })
  const body = '{"event_id":"e1"}'

  it('accepts t within five minutes and a matching v1', () => {
    expect(
      source.verify(
        body,
        headers({ 'x-giftcards-signature': signGeneric('g', body, now / 1000 - 299) }),
      ),
    ).toBe(true)
    expect(
      source.verify(
        body,
        headers({ 'x-giftcards-signature': signGeneric('g', body, now / 1000 + 299) }),
      ),
    ).toBe(true)
  })

  it('refuses a stale or future t, a wrong secret and a malformed header', () => {
    expect(
      source.verify(
        body,
        headers({ 'x-giftcards-signature': signGeneric('g', body, now / 1000 - 301) }),
      ),
    ).toBe(false)
    expect(
      source.verify(
        body,
        headers({ 'x-giftcards-signature': signGeneric('g', body, now / 1000 + 301) }),
      ),
    ).toBe(false)
    expect(
      source.verify(body, headers({ 'x-giftcards-signature': signGeneric('h', body, now / 1000) })),
    ).toBe(false)
    expect(source.verify(body, headers({ 'x-giftcards-signature': 'v1=abc' }))).toBe(false)
  })
})
