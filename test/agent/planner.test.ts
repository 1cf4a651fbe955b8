import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  IntentClassifier,
  loadCorpus,
  planRequest,
  REPLY_INTENTS,
  type Vocabulary,
  WRITE_TOOLS,
} from '../../agent/index.ts'
import { argsMatch } from '../../evals/index.ts'
import { TOOLS } from '../../tools/index.ts'
import {
  DEMO_VOCABULARY,
  plansWrite,
  reportScore,
  scorePlanner,
  splitCorpus,
} from './planner-score.ts'

const WRITES = WRITE_TOOLS
const { train, test, context } = splitCorpus()
const plan = (text: string, recall = {}, vocabulary: Vocabulary = DEMO_VOCABULARY) =>
  planRequest(text, recall, { ...context, vocabulary })

describe('the planner corpus', () => {
  it('has at least 600 requests covering every tool and every reply intent', () => {
    const all = loadCorpus()
    expect(all.length).toBeGreaterThanOrEqual(600)
    const covered = new Set(all.map((e) => e.intent))
    for (const tool of TOOLS) expect(covered, tool.name).toContain(tool.name)
    for (const intent of REPLY_INTENTS) expect(covered, intent).toContain(intent)
  })

  it('restores a trained classifier from its snapshot to the same scores', () => {
    const restored = new IntentClassifier(
      [],
      JSON.parse(JSON.stringify(context.classifier.snapshot())),
    )
    for (const e of test.slice(0, 40))
      expect(restored.classify(e.text, []), e.text).toEqual(context.classifier.classify(e.text, []))
  })

  it('is split by a fixed rule: about a fifth held out, none in both parts', () => {
    expect(test.length / (train.length + test.length)).toBeGreaterThan(0.12)
    expect(test.length / (train.length + test.length)).toBeLessThan(0.28)
    const trainTexts = new Set(train.map((e) => e.text))
    expect(test.filter((e) => trainTexts.has(e.text))).toEqual([])
  })
})

describe('the offline planner on the corpus test split (trained on the rest)', () => {
  it('picks the intent for at least 78% and the arguments for at least 70%', () => {
    const score = scorePlanner(test, context)
    reportScore('planner test split', score)
    expect(score.intentAccuracy).toBeGreaterThanOrEqual(0.78)
    expect(score.argAccuracy).toBeGreaterThanOrEqual(0.7)
  })

  it('never plans a write for a request labelled as a read or a question', () => {
    const writes = loadCorpus()
      .filter((e) => !WRITES.has(e.intent))
      .filter((e) => plansWrite(e.text, context, (e.recall ?? {}) as never))
      .map((e) => e.text)
    expect(writes).toEqual([])
  })

  it('plans the steps of multi-part requests', () => {
    type Multi = { text: string; steps: { tool: string; args?: Record<string, unknown> }[] }
    const multi = readFileSync(
      new URL('../../agent/planner/corpus/multi.jsonl', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Multi)
    let right = 0
    const misses: string[] = []
    for (const m of multi) {
      const p = plan(m.text)
      const tools =
        p.kind === 'call'
          ? [p.tool, ...p.also.map((c) => c.tool), ...(p.followUp?.tools ?? [])]
          : []
      const wanted = m.steps.map((s) => s.tool)
      if (JSON.stringify(tools) === JSON.stringify(wanted)) right++
      else
        misses.push(
          `"${m.text}": expected ${wanted.join(' + ')}, got ${tools.join(' + ') || 'a reply'}`,
        )
    }
    process.stderr.write(
      `multi-step: ${right}/${multi.length}\n${misses.map((m) => `  ${m}\n`).join('')}`,
    )
    expect(right / multi.length).toBeGreaterThanOrEqual(0.7)
  })
})

describe('the planner applies or names every constraint', () => {
  it('reads several states, stores with typos, amounts, scores, top N and dates on the chain calendar', () => {
    expect(plan('liability in NY vs CA')).toMatchObject({
      tool: 'get_liability',
      args: { jurisdictions: ['US-NY', 'US-CA'] },
    })
    expect(plan('dormant cards in texas with $20+ left')).toMatchObject({
      tool: 'find_dormant_cards',
      args: { jurisdiction: 'US-TX', minBalanceCents: 2000 },
    })
    expect(plan('open alerts over 0.9 at the brooklin store since nov 1')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { minScore: 0.9, location: 'loc_010', since: '2026-11-01' },
    })
    expect(plan('top 5 stores by liability as of the end of last quarter')).toMatchObject({
      tool: 'get_liability',
      args: { groupBy: 'location', top: 5, asOf: '2026-09-30' },
    })
    expect(plan('breakage forecast for Q1 by occasion')).toMatchObject({
      tool: 'forecast_breakage',
      args: { periodFrom: '2027-01', periodTo: '2027-03', groupBy: 'occasion' },
    })
    expect(plan('liabilty by chanel')).toMatchObject({
      tool: 'get_liability',
      args: { groupBy: 'channel' },
    })
  })

  it('names what it cannot apply instead of answering a different question', () => {
    const p = plan('liability in NY vs CA except online')
    expect(p).toMatchObject({ tool: 'get_liability', args: { jurisdictions: ['US-NY', 'US-CA'] } })
    expect(p.kind === 'call' && p.notes).toContain('except online')
    const q = plan('how many cards did we sell last month per capita')
    expect(q.kind === 'call' && q.notes.some((n) => /per capita/.test(n))).toBe(true)
  })

  it('reads "since nov 1" and "today" on the chain calendar, not the server clock', () => {
    // 02:30 UTC on 1 Nov is still 31 Oct in New York.
    const late = { ...DEMO_VOCABULARY, now: () => new Date('2026-11-01T02:30:00Z') }
    expect(plan('what was approved today', {}, late)).toMatchObject({
      args: { since: '2026-10-31' },
    })
    expect(plan('fraud alerts since nov 1', {}, late)).toMatchObject({
      args: { since: '2025-11-01' },
    })
    expect(plan('fraud alerts since nov 1')).toMatchObject({ args: { since: '2026-11-01' } })
  })
})

describe('the planner keeps people’s words and never acts on a question', () => {
  it('keeps the reason for a hold and the note on an alert verbatim', () => {
    expect(plan('freeze 3048, the customer says it was stolen at the register')).toMatchObject({
      tool: 'place_card_hold',
      args: { card: '3048', reason: 'the customer says it was stolen at the register' },
    })
    expect(plan('mark alert 11 as a false positive — customer called in')).toMatchObject({
      tool: 'update_fraud_alert',
      args: { alertId: 11, status: 'dismissed', note: 'customer called in' },
    })
    const bare = plan('hold card 4819')
    expect(bare).toMatchObject({ tool: 'place_card_hold', args: { card: '4819' } })
    expect(bare.kind === 'call' && 'reason' in bare.args).toBe(false)
  })

  it('answers questions about holds with the holds, never by filing one', () => {
    for (const q of [
      'is there a hold on gc_e60cb1e2?',
      'why is card 4819 on hold',
      'who put the hold on 3048 and why',
      'should we hold it?',
    ])
      expect(plansWrite(q, context, { card: 'gc_e60cb1e2' }), q).toBe(false)
    expect(plan('is there a hold on gc_e60cb1e2?')).toMatchObject({
      tool: 'list_card_holds',
      args: { card: 'gc_e60cb1e2' },
    })
  })

  it('lets an id in the message win over one remembered from the thread', () => {
    expect(
      plan('balance check 9931 please', {
        card: '5512',
        tool: 'get_gift_card',
        args: { card: '5512' },
      }),
    ).toMatchObject({
      tool: 'get_gift_card',
      args: { card: '9931' },
    })
    expect(plan('what is its balance?', { card: '5512' })).toMatchObject({ args: { card: '5512' } })
  })

  it('plans two asks in one message, and a step that needs the first step’s result', () => {
    const two = plan('forecast next 3 months and which state has most liability')
    expect(two).toMatchObject({ tool: 'forecast_breakage', args: { horizonMonths: 3 } })
    expect(two.kind === 'call' && two.also).toEqual([
      { tool: 'get_liability', args: { groupBy: 'jurisdiction', top: 1 } },
    ])
    const chained = plan(
      'dismiss all the refund abuse alerts from this week, duplicate refunds from the POS outage',
    )
    expect(chained).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { rule: 'refund_abuse', since: '2026-11-30' },
    })
    if (chained.kind !== 'call' || !chained.followUp) throw new Error('expected a second step')
    const calls = chained.followUp.derive([
      {
        tool: 'list_fraud_alerts',
        args: {},
        content: {
          ok: true,
          data: {
            items: [
              { alertId: 3, cardId: 'gc_1' },
              { alertId: 4, cardId: 'gc_2' },
            ],
          },
        },
      },
    ])
    expect(calls).toEqual([
      {
        tool: 'update_fraud_alert',
        args: { alertId: 3, status: 'dismissed', note: 'duplicate refunds from the POS outage' },
      },
      {
        tool: 'update_fraud_alert',
        args: { alertId: 4, status: 'dismissed', note: 'duplicate refunds from the POS outage' },
      },
    ])
    const hold = plan('hold the card from the top alert')
    if (hold.kind !== 'call' || !hold.followUp) throw new Error('expected a second step')
    expect(hold.tool).toBe('list_fraud_alerts')
    expect(
      hold.followUp.derive([
        {
          tool: 'list_fraud_alerts',
          args: {},
          content: { ok: true, data: { items: [{ alertId: 9, cardId: 'gc_9' }] } },
        },
      ]),
    ).toEqual([{ tool: 'place_card_hold', args: { card: 'gc_9' } }])
  })

  it('answers small talk briefly, and asks when unsure', () => {
    const thanks = plan('thx')
    expect(thanks).toMatchObject({ kind: 'reply', intent: 'smalltalk' })
    expect(thanks.kind === 'reply' && thanks.text.length).toBeLessThan(60)
    const vague = plan('hmm the thing from before about stuff')
    expect(vague.kind).toBe('reply')
  })

  it('matches the corpus arguments for the follow-ups it keeps from the thread', () => {
    const p = plan('and Texas?', { tool: 'get_liability', args: { groupBy: 'jurisdiction' } })
    expect(p.kind === 'call' && argsMatch({ jurisdiction: 'US-TX' }, p.args)).toBe(true)
  })
})

describe('the planner files no write it was not ordered to (review cases)', () => {
  it('reads questions and noun phrases that open with a verb of acting', () => {
    const campaign = { campaignId: 5, tool: 'draft_campaign', args: {} }
    for (const [text, recall] of [
      ['hold on, is card 4821 frozen?', {}],
      ['hold on — why is 4821 blocked?', {}],
      ['take a look at the hold on 4821', {}],
      ['put together a list of holds on card 4821', {}],
      ['send me the list of campaigns', campaign],
      ['go through the campaigns', campaign],
      ['check 3048 and if it looks real, hold it', {}],
    ] as const)
      expect(plansWrite(text, context, recall as never), text).toBe(false)
  })

  it('asks before triaging in bulk without a decision, and reads the decision from the order', () => {
    expect(plan('mark all the alerts from this week as reviewed').kind).toBe('reply')
    expect(plan('confirm all alerts are looked at').kind).toBe('reply')
    expect(plan('dismiss alert 9, the customer confirmed it was their purchase')).toMatchObject({
      args: {
        alertId: 9,
        status: 'dismissed',
        note: 'the customer confirmed it was their purchase',
      },
    })
    const p = plan('dismiss alert 11, alert 12 is real fraud')
    expect(p.kind === 'call' && p.also).toEqual([])
  })

  it('takes the card the order names, not one in the reason', () => {
    expect(plan('hold 4821 - customer says card 7712 was also stolen')).toMatchObject({
      args: { card: '4821', reason: 'customer says card 7712 was also stolen' },
    })
    const p = plan('hold gc_ab12cd34, customer called at 1530 to say it was stolen')
    expect(p.kind === 'call' && p.also).toEqual([])
    expect(
      plan('hold it, customer says their pin 1234 was skimmed', { card: 'gc_abcd1234' }),
    ).toMatchObject({
      args: { card: 'gc_abcd1234', reason: 'customer says their pin 1234 was skimmed' },
    })
    expect(
      plan('now freeze it', {
        card: 'gc_abcd1234',
        tool: 'get_gift_card',
        args: { card: 'gc_abcd1234' },
      }),
    ).toMatchObject({
      tool: 'place_card_hold',
    })
  })

  it('marks the words of an ordinal reference used: "the top alert" is applied, not named', () => {
    // The README walkthrough: after a list of alerts, the top one's card is held and the reply
    // does not claim "the top alert" was not applied.
    const listed = {
      tool: 'list_fraud_alerts',
      args: { status: 'open' },
      alertId: 6,
      alerts: [
        { alertId: 6, cardId: 'gc_aaaa0006' },
        { alertId: 11, cardId: 'gc_aaaa0011' },
      ],
    }
    const top = plan('hold the card from the top alert, card testing on one terminal', listed)
    expect(top).toMatchObject({
      tool: 'place_card_hold',
      args: { alertId: 6, reason: 'card testing on one terminal' },
    })
    expect(top.kind === 'call' && top.notes).toEqual([])
    const second = plan('hold the card on the second one', listed)
    expect(second).toMatchObject({ tool: 'place_card_hold', args: { alertId: 11 } })
    expect(second.kind === 'call' && second.notes).toEqual([])
  })

  it('lets the alert an order names beat one in its note or a card the thread remembers', () => {
    expect(plan('confirm 38. note: same MO as alert 8, different store')).toMatchObject({
      args: { alertId: 38, status: 'confirmed', note: 'same MO as alert 8, different store' },
    })
    expect(
      plan('now hold the card on alert 11', { card: 'gc_aaaa0006', alertId: 6 }),
    ).toMatchObject({ tool: 'place_card_hold', args: { alertId: 11 } })
    const two = plan('hold the card on alert 20 and the one on alert 41')
    expect(two.kind === 'call' && [two.args, ...two.also.map((a) => a.args)]).toEqual([
      { alertId: 20 },
      { alertId: 41 },
    ])
    // A note in quotation marks is the words inside them.
    expect(plan('dismiss alert 12, note: "QA team testing balance lookups"')).toMatchObject({
      args: { alertId: 12, note: 'QA team testing balance lookups' },
    })
  })

  it('reads rule names with any join, counts after the noun and open-ended idle periods', () => {
    expect(plan('reload n drain alerts w score at least .8')).toMatchObject({
      args: { rule: 'reload_and_drain', minScore: 0.8 },
    })
    expect(plan('any redemptions on frozen cards get flagged?')).toMatchObject({
      args: { rule: 'held_card_redemption' },
    })
    expect(plan('active holds, just the last 5')).toMatchObject({
      args: { status: 'active', limit: 5 },
    })
    expect(plan('dormant cards in NY, 2 years+')).toMatchObject({
      args: { minDays: 730, jurisdiction: 'US-NY' },
    })
  })

  it('reads orders said as "X first", several channels side by side, and names unknown breakdowns', () => {
    expect(plan('fraud loss by store in november, worst first')).toMatchObject({
      args: { by: ['location'], sort: 'value_desc' },
    })
    expect(plan('weekly cards sold in november, quietest weeks first')).toMatchObject({
      args: { by: ['week'], sort: 'value_asc' },
    })
    expect(plan('held cards at the tacoma store, most recent activity first')).toMatchObject({
      args: { sort: 'last_activity_desc' },
    })
    expect(plan('in-store vs online vs mobile redemptions last month')).toMatchObject({
      args: { metric: 'redemptions', by: ['channel'] },
    })
    const cashier = plan('redemptions by cashier last month')
    expect(cashier.kind === 'call' && cashier.notes).toContain('by cashier')
  })

  it('reads "december last year", and a span of months ahead for a forecast', () => {
    expect(plan('value loaded by state in december last year')).toMatchObject({
      args: { from: '2025-12-01', to: '2025-12-31' },
    })
    expect(plan('expected redemptions december thru february?')).toMatchObject({
      tool: 'forecast_breakage',
      args: { periodFrom: '2026-12', periodTo: '2027-02' },
    })
    expect(plan('forecast breakage through june 2027')).toMatchObject({
      args: { periodTo: '2027-06' },
    })
  })

  it('refuses a person behind a card and mass contact; reads "#40", failed approvals and follow-ups', () => {
    expect(
      plan("who's the actual person behind gc_37f4081f? need a name and home address"),
    ).toMatchObject({ kind: 'reply', intent: 'refuse_pii' })
    expect(plan('email everyone with a dormant card in Oregon about the sale')).toMatchObject({
      kind: 'reply',
      intent: 'refuse_contact',
    })
    expect(plan('why did #40 fire')).toMatchObject({
      tool: 'explain_fraud_alert',
      args: { alertId: 40 },
    })
    expect(plan('any approvals fail?')).toMatchObject({ args: { status: 'failed' } })
    expect(
      plan('put MA next to it', {
        tool: 'get_liability',
        args: { groupBy: 'total', jurisdiction: 'US-NY' },
      }),
    ).toMatchObject({ args: { jurisdictions: ['US-NY', 'US-MA'] } })
    expect(plan('which texas store redeemed the most last month?')).toMatchObject({
      args: { metric: 'redemptions', by: ['location'], jurisdiction: 'US-TX' },
    })
  })

  it('reads a card named by its id as that card, and "dormant" as the dormant-card tool', () => {
    expect(plan('tell me about card gc_3532b71f')).toMatchObject({
      tool: 'get_gift_card',
      args: { card: 'gc_3532b71f' },
    })
    expect(plan('which dormant cards in Texas have more than $20 on them?')).toMatchObject({
      tool: 'find_dormant_cards',
      args: { jurisdiction: 'US-TX', minBalanceCents: 2000 },
    })
  })

  it('names a filter by employee, terminal or order that no tool has', () => {
    const p = plan('top 3 fraud alerts for employee emp_001_05')
    expect(p).toMatchObject({ tool: 'list_fraud_alerts', args: { limit: 3 } })
    expect(p.kind === 'call' && p.notes).toContain('for employee emp_001_05')
  })

  it('invents no reason from the order itself', () => {
    const p = plan('put 2660 on hold')
    expect(p).toMatchObject({ tool: 'place_card_hold', args: { card: '2660' } })
    expect(p.kind === 'call' && p.args.reason).toBeUndefined()
    // A reason said first keeps its own numbers; the card held is the one after the verb.
    expect(plan('customer called at 1530 saying it was stolen, hold 4821')).toMatchObject({
      args: { card: '4821', reason: 'customer called at 1530 saying it was stolen' },
    })
  })

  it('says when a list of alerts cannot stop at the end of the window asked for', () => {
    const p = plan('confirmed alerts in october')
    expect(p).toMatchObject({ args: { status: 'confirmed', since: '2026-10-01' } })
    expect(p.kind === 'call' && p.remarks.join(' ')).toMatch(/cannot stop at 2026-10-31/)
    expect(plan('dismissed alerts over the past 90 days')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { status: 'dismissed', days: 90 },
    })
  })

  it('reads weekdays back, and the same chain days whatever the server timezone', () => {
    expect(plan('alerts since friday')).toMatchObject({ args: { since: '2026-11-27' } })
    expect(plan('redemptions last winter')).toMatchObject({
      args: { from: '2025-12-01', to: '2026-02-28' },
    })
    const auckland = { ...DEMO_VOCABULARY, timezone: 'Pacific/Auckland' }
    // 15:00 UTC on 1 Dec is already 2 Dec in Auckland.
    expect(plan('what was approved today', {}, auckland)).toMatchObject({
      args: { since: '2026-12-02' },
    })
  })
})
