import { describe, expect, it } from 'vitest'
import { Pseudonymiser } from '../../governance/index.ts'
import { findPii } from '../../governance/pii-text.ts'

describe('the pseudonymiser', () => {
  const pii = new Pseudonymiser('key-1')

  it('tokenises PII fields by name, stably, and keys matter', () => {
    const out = pii.scrub({
      email: 'A@B.com',
      customer_name: 'Ann Lee',
      phone_number: '+1-212-555-0100',
      name: 'Store 12',
    })
    expect(out.email).toMatch(/^email_[0-9a-f]{10}$/)
    expect(out.customer_name).toMatch(/^name_[0-9a-f]{10}$/)
    expect(out.phone_number).toMatch(/^phone_[0-9a-f]{10}$/)
    expect(out.name).toBe('Store 12')
    expect(pii.scrub({ email: 'a@b.com' }).email).toBe(out.email)
    expect(new Pseudonymiser('key-2').scrub({ email: 'a@b.com' }).email).not.toBe(out.email)
  })

  it('finds emails and phone numbers in free text, but not dates, ids or amounts', () => {
    const text =
      'call (415) 555-0199 or +1-212-555-0100 or 212.555.0100, mail jo.x+1@shop.example.org; card gc_1234abcd on 2026-11-25T10:00:00Z, $1,250.00, order 5551234'
    const out = pii.scrubText(text)
    expect(out).not.toMatch(/555-0199|555-0100|555\.0100|jo\.x/)
    expect(out.match(/phone_[0-9a-f]{10}/g)).toHaveLength(3)
    expect(out).toMatch(/email_[0-9a-f]{10}/)
    for (const kept of ['gc_1234abcd', '2026-11-25T10:00:00Z', '$1,250.00', 'order 5551234'])
      expect(out).toContain(kept)
  })

  it('walks nested arrays and objects without changing numbers', () => {
    const out = pii.scrub({ rows: [{ holder_name: 'Bo', cents: 5 }, 'x@y.io'] })
    expect(out.rows[0]).toEqual({ holder_name: expect.stringMatching(/^name_/), cents: 5 })
    expect(out.rows[1]).toMatch(/^email_/)
  })
})

describe('free text: what the attack run found missed (issue 16, defect 5)', () => {
  const pii = new Pseudonymiser('key-1')
  const mateo = pii.scrubText('716-555-0179')

  it.each([
    ['a bare 10-digit number', 'call 7165550179 today'],
    ['3 + 7 digits', 'Store of Mateo Chen 716 5550179'],
    ['Unicode hyphens', '716‐555‐0179 / 716‑555‑0179 / 716–555–0179 / 716—555—0179 / 716−555−0179'],
    ['no-break spaces', '716\u00a0555\u00a00179'],
    ['parentheses', '(716) 555-0179 and (716)555-0179'],
    ['a country code', '+1 716 555 0179, 1-716-555-0179, +17165550179'],
    ['a phone label', 'tel:7165550179, phone=716.555.0179'],
  ])('%s', (_, text) => {
    const out = pii.scrubText(text)
    expect(out).not.toMatch(/\d{3}\D{0,2}\d{3}|0179/)
    // Every way of writing the number is the same customer.
    for (const token of out.match(/phone_[0-9a-f]{10}/g) ?? []) expect(token).toBe(mateo)
    expect(out.match(/phone_[0-9a-f]{10}/g)?.length).toBeGreaterThan(0)
  })

  it('international numbers, with + or 00', () => {
    const out = pii.scrubText(
      'London +44 20 7946 0958, or 0044 20 7946 0958; Paris +33 1 23 45 67 89',
    )
    expect(out).toBe(
      `London ${pii.token('phone', '+442079460958')}, or ${pii.token('phone', '+442079460958')}; Paris ${pii.token('phone', '+33123456789')}`,
    )
  })

  it('emails with accented local parts and domains', () => {
    for (const email of ['josé@correo.españa.es', 'a@bücher.de', 'Zoë.O’Neil@exämple.co.uk'])
      expect(pii.scrubText(`write to ${email}.`)).toMatch(/^write to email_[0-9a-f]{10}\.$/)
    expect(pii.scrubText('josé@correo.españa.es')).toBe(pii.token('email', 'JOSÉ@correo.españa.es'))
  })

  it('keeps every word that is not an address or a number', () => {
    expect(pii.scrubText('customer called from 716 555 0179 about card gc_1234abcd, twice')).toBe(
      `customer called from ${mateo} about card gc_1234abcd, twice`,
    )
  })

  it('a phone field and the same number in text get one token', () => {
    expect(pii.scrub({ phone: '(716) 555-0179' }).phone).toBe(mateo)
    expect(pii.scrub({ phone: 'ask at the desk' }).phone).toMatch(/^phone_[0-9a-f]{10}$/)
  })

  it('scrubbing twice changes nothing more', () => {
    const once = pii.scrubText('ann@shop.example.org, +44 20 7946 0958, 716 5550179')
    expect(pii.scrubText(once)).toBe(once)
  })
})

describe('free text: the ledger’s own numbers are not phone numbers', () => {
  const pii = new Pseudonymiser('key-1')

  it.each([
    ['card ids', 'gc_7165550179, gc_1234abcd, shopify:1063936318'],
    ['ISO days and timestamps', '2026-11-30, 2026-11-25T10:00:00Z, 30.11.2026, 11/30/2026'],
    ['money', '12,345.67, $1,250.00, 1234567890.50, -7165550179, +12.5%'],
    ['last four digits and order numbers', 'last4 1234, …4821, order 5551234, order #7165550179'],
    ['16-digit card numbers', '4111111111111111, 4111 1111 1111 1111, 4111-1111-1111-1111'],
    ['a CSV row of a count and cents', 'loc_010,3,1234567890,"$12,345,678.90"'],
    [
      'hashes, UUIDs and addresses',
      '1234567890abcdef 550e8400-e29b-41d4-a716-446655440000 192.168.100.200',
    ],
  ])('%s', (_, text) => {
    expect(pii.scrubText(text)).toBe(text)
  })

  it('keeps a card id the POS numbers like a phone where a result names it as the card', () => {
    const out = pii.scrub({
      cardId: '7165550179',
      cardIds: ['7165550179'],
      note: 'card 7165550179',
      store: { id: 'Store of Mateo Chen 716 5550179' },
    })
    expect(out.cardId).toBe('7165550179')
    expect(out.cardIds).toEqual(['7165550179'])
    expect(out.note).toMatch(/^card phone_[0-9a-f]{10}$/)
    expect(out.store.id).toMatch(/^Store of Mateo Chen phone_[0-9a-f]{10}$/)
  })
})

describe('store-style order numbers are not phone numbers (issue 18, item 7)', () => {
  const pii = new Pseudonymiser('key-1')

  it.each([
    [
      'a 3-7 order number with a hyphen',
      'refund for order 111-0053877, which this card never paid for',
    ],
    ['a 3-7 order number with a dot', 'order 716.5550179 returned'],
    ['a 3-7 pair whose area code starts with 0 or 1', 'ref 111 0053877 and 011 5550179'],
    ['a 3-7 pair whose exchange starts with 0 or 1', 'ref 716 0053877 and 716 1553877'],
  ])('%s', (_, text) => {
    expect(pii.scrubText(text)).toBe(text)
  })

  it('still finds a phone written as an area code and seven digits apart by a space', () => {
    expect(pii.scrubText('call 716 5550179 or (716) 5550179')).toBe(
      `call ${pii.token('phone', '7165550179')} or ${pii.token('phone', '7165550179')}`,
    )
  })

  it('never scrubs an order id field, in a timeline row or a list of orders', () => {
    const out = pii.scrub({
      timeline: [{ order: '111-0053877' }, { order: '7165550179' }],
      orders: ['7165550179', '111-0053877'],
      order_id: '716-555-0179',
      note: 'order 111-0053877 paid, call 716-555-0179',
    })
    expect(out.timeline).toEqual([{ order: '111-0053877' }, { order: '7165550179' }])
    expect(out.orders).toEqual(['7165550179', '111-0053877'])
    expect(out.order_id).toBe('716-555-0179')
    expect(out.note).toBe(`order 111-0053877 paid, call ${pii.token('phone', '7165550179')}`)
  })
})

describe('free text is scrubbed in linear time (issue 16, defect 1)', () => {
  const pii = new Pseudonymiser('key-1')
  const MiB = 1 << 20
  const fill = (unit: string, size: number) =>
    unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

  // The shapes that made the old patterns backtrack, and the ones a digit scanner could trip on.
  const adversarial: Record<string, string> = {
    'letters without @': fill('a', 3 * MiB),
    '@ after every letter': fill('a@', MiB),
    'dotted domains without a TLD': `a@${fill('a.', 2 * MiB)}`,
    'a huge local part': `${fill('x', 2 * MiB)}@example.com`,
    'digits alone': fill('7', 2 * MiB),
    'digit groups': fill('716 ', 2 * MiB),
    'plus signs': fill('+1 ', MiB),
    'open parentheses': fill('(7', MiB),
    labels: fill('phone:1', MiB),
    'Unicode hyphens': fill('7‐', MiB),
    'emails of digits': fill('1@2.', MiB),
    'a realistic mix': fill(
      'Ann josé@correo.españa.es 716 5550179, +44 20 7946 0958; gc_1 2026-11-30 ',
      MiB,
    ),
  }

  it.each(Object.keys(adversarial))('%s: a bounded number of reads per character', (name) => {
    const text = adversarial[name] as string
    const meter = { reads: 0 }
    findPii(text, meter)
    expect(meter.reads / text.length).toBeLessThanOrEqual(6)
  })

  it('still finds what hides at the end of a long run', () => {
    const text = `${fill('a', MiB)} ann@example.org 716 555 0179`
    const spans = findPii(text)
    expect(spans.map((s) => [s.kind, s.value])).toEqual([
      ['email', 'ann@example.org'],
      ['phone', '+17165550179'],
    ])
    expect(
      pii
        .scrubText(text)
        .endsWith(` ${pii.token('email', 'ann@example.org')} ${pii.scrubText('7165550179')}`),
    ).toBe(true)
  })

  it('completes on the 200,000-letter card argument that froze the server for 18 s', () => {
    const card = fill('a', 200_000)
    expect(pii.scrubText(card)).toBe(card)
    expect(pii.scrub({ input: { card } })).toEqual({ input: { card } })
  })
})
