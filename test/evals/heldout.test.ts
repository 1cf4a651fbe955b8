import { describe, expect, it } from 'vitest'
import { type HeldoutTurn, loadHeldout, scoreTurn } from '../../evals/index.ts'

const chain = {
  stores: [{ id: 'loc_010', name: 'Brooklyn' }],
  last4: new Map([['gc_ccab0692', '3048']]),
}
const turn = (expect: Partial<HeldoutTurn['expect']>): HeldoutTurn => ({
  id: 't',
  thread: null,
  turn: 1,
  role: 'analyst',
  text: 'x',
  expect: { tools: [], args: [], constraints: [], write: false, ...expect },
})

describe('the held-out set and its scorer', () => {
  it('loads the held-out set: at least 100 turns, written apart from the planner', () => {
    const turns = loadHeldout()
    expect(turns.length).toBeGreaterThanOrEqual(100)
    expect(new Set(turns.map((t) => t.id)).size).toBe(turns.length)
  })

  it('takes a store by name for its id, and a card by id for its last four digits', () => {
    const t = turn({ tools: ['list_fraud_alerts'], args: [{ location: 'loc_010', minScore: 0.9 }] })
    const calls = [{ name: 'list_fraud_alerts', args: { location: 'Brooklyn', minScore: 0.9 } }]
    expect(scoreTurn(t, { calls, reply: '', approvalsFiled: 0 }, chain).good).toBe(true)
    const card = turn({ tools: ['get_gift_card'], args: [{ card: '3048' }] })
    expect(
      scoreTurn(
        card,
        {
          calls: [{ name: 'get_gift_card', args: { card: 'gc_ccab0692' } }],
          reply: '',
          approvalsFiled: 0,
        },
        chain,
      ).good,
    ).toBe(true)
    expect(
      scoreTurn(
        card,
        {
          calls: [{ name: 'get_gift_card', args: { card: '4819' } }],
          reply: '',
          approvalsFiled: 0,
        },
        chain,
      ).good,
    ).toBe(false)
  })

  it('counts a constraint as kept when applied or named in the reply, and fails a turn that drops it', () => {
    const t = turn({
      tools: ['get_liability'],
      constraints: [{ text: 'vs CA', tool: 'get_liability', arg: 'jurisdictions' }],
    })
    const calls = [{ name: 'get_liability', args: { jurisdiction: 'US-NY' } }]
    expect(scoreTurn(t, { calls, reply: 'NY: $1', approvalsFiled: 0 }, chain).good).toBe(false)
    expect(
      scoreTurn(t, { calls, reply: 'Not applied: "vs CA"', approvalsFiled: 0 }, chain).good,
    ).toBe(true)
    expect(
      scoreTurn(
        t,
        {
          calls: [{ name: 'get_liability', args: { jurisdictions: ['US-NY', 'US-CA'] } }],
          reply: '',
          approvalsFiled: 0,
        },
        chain,
      ).good,
    ).toBe(true)
  })

  it('fails a question that filed an approval, and a write that filed none', () => {
    const question = turn({ tools: ['list_card_holds'] })
    const calls = [{ name: 'list_card_holds', args: {} }]
    expect(scoreTurn(question, { calls, reply: '', approvalsFiled: 1 }, chain).write).toBe(false)
    const order = turn({ tools: ['place_card_hold'], write: true })
    expect(
      scoreTurn(
        order,
        { calls: [{ name: 'place_card_hold', args: {} }], reply: '', approvalsFiled: 0 },
        chain,
      ).good,
    ).toBe(false)
  })
})
