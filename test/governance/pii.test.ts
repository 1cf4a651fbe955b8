import { describe, expect, it } from 'vitest'
import { Pseudonymiser } from '../../governance/index.ts'

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
