import { describe, expect, it } from 'vitest'
import { planRequest, type Recall } from '../../agent/index.ts'
import { DEMO_VOCABULARY, splitCorpus } from './planner-score.ts'

// Causes found in the misses of the spent held-out sets A–D (docs/planner.md §The 2026-12-01
// night change), each checked on phrasings written for this file in styles none of the sets
// use, so a fix that only fitted a set's own words fails here. "Today" is Tuesday 2026-12-01.
const { context } = splitCorpus()
const plan = (text: string, recall: Recall = {}) =>
  planRequest(text, recall, { ...context, vocabulary: DEMO_VOCABULARY })
const notes = (text: string, recall: Recall = {}) => {
  const p = plan(text, recall)
  return p.kind === 'call' ? p.notes : []
}

describe('a constraint not applied is named as the phrase the person wrote', () => {
  it('quotes the whole restriction: its preposition, its noun, "only"', () => {
    expect(notes('breakage forecast for the Tacoma store only')).toContain(
      'for the Tacoma store only',
    )
    expect(notes('dormant corporate cards idle 200 days')).toContain('corporate cards')
    expect(notes('liability on cards with over $40 left, by store')).toContain('with over $40 left')
    expect(notes('open alerts on cards sold through the mobile app')).toContain(
      'sold through the mobile app',
    )
    expect(notes('approvals submitted by slack:U123')).toContain('submitted by slack:U123')
  })

  it('names times of day or week no tool filters on', () => {
    expect(notes('redemptions at seattle on weekdays only')).toContain('on weekdays only')
    expect(notes('loads after hours last week')).toContain('after hours')
    expect(notes('cards sold this morning')).toEqual([])
  })
})

describe('amounts and counts said any way', () => {
  it('reads amounts in words, ranges in words and exact amounts', () => {
    expect(plan('cards holding between ten and thirty dollars in texas')).toMatchObject({
      args: { minBalanceCents: 1000, maxBalanceCents: 3000, jurisdiction: 'US-TX' },
    })
    expect(plan('cards with precisely $75 on them')).toMatchObject({
      args: { minBalanceCents: 7500, maxBalanceCents: 7500 },
    })
    expect(plan('should I pitch a gift card on a sixty-five dollar cart?')).toMatchObject({
      tool: 'recommend_upsell',
      args: { totalCents: 6500 },
    })
    expect(notes('cards worth two hundred and fifty dollars')).toContain(
      'two hundred and fifty dollars',
    )
  })

  it('reads "> 180 days" as idle days, not an amount of $18', () => {
    expect(plan('dormant >= 365 days with at least $10 on them')).toMatchObject({
      tool: 'find_dormant_cards',
      args: { minDays: 365, minBalanceCents: 1000 },
    })
  })

  it('reads horizons said compactly or as "N months out", and "within N months" ahead', () => {
    expect(plan('3yr runoff forecast')).toMatchObject({ args: { horizonMonths: 36 } })
    expect(plan('breakage forecast, 9 months out')).toMatchObject({ args: { horizonMonths: 9 } })
    expect(plan('what escheats within 2 months in new york')).toMatchObject({
      tool: 'escheatment_report',
      args: { horizonMonths: 2, jurisdiction: 'US-NY' },
    })
  })
})

describe('alerts: a series over time is the metric, a count of open ones the list', () => {
  it('reads a detector with a time breakdown as alerts by that period, the rule named', () => {
    // "weekly" of a meeting is not a breakdown
    expect(plan('open alerts at tacoma since monday, for the weekly LP sync')).toMatchObject({
      tool: 'list_fraud_alerts',
    })
    const p = plan('impossible travel alerts by week since october')
    expect(p).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'fraud_alerts', by: ['week'], from: '2026-10-01' },
    })
    expect(p.kind === 'call' && p.notes.join()).toMatch(/impossible travel/)
    expect(plan('bulk purchase flags, monthly')).toMatchObject({
      args: { metric: 'fraud_alerts', by: ['month'] },
    })
  })

  it('reads a rule id typed as it is, and "how many are open" as the open alerts', () => {
    expect(plan('show balance_check_enumeration from the last 2 weeks')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { rule: 'balance_check_enumeration' },
    })
    expect(plan('number of alerts still open?')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { status: 'open' },
    })
    expect(plan('refunds_abuse... no, just refunds by channel as csv')).toMatchObject({
      tool: 'ledger_metrics',
    })
    expect(plan('cards_sold by state, csv')).toMatchObject({
      args: { metric: 'cards_sold', by: ['jurisdiction'], format: 'csv' },
    })
  })
})

describe('the period grammar names every span by its place in a larger one', () => {
  const range = (text: string) => {
    const p = plan(text)
    return p.kind === 'call' ? [p.args.from, p.args.to] : []
  }

  it('reads halves, fiscal years and a year said alone', () => {
    expect(range('loads, second half of last year')).toEqual(['2025-07-01', '2025-12-31'])
    expect(range('refunds h1 2025 by channel')).toEqual(['2025-01-01', '2025-06-30'])
    expect(range('cards sold FY 24')).toEqual(['2024-01-01', '2024-12-31'])
    expect(range('redemptions per month 2025')).toEqual(['2025-01-01', '2025-12-31'])
    expect(plan('pull up 2025')).toMatchObject({ tool: 'get_gift_card', args: { card: '2025' } })
  })

  it('reads the start or end of a period, the period so far, and its first or last part', () => {
    expect(plan('liability at the very beginning of last month')).toMatchObject({
      tool: 'get_liability',
      args: { asOf: '2026-11-01' },
    })
    expect(plan('what did we owe at 2024 year-end')).toMatchObject({
      args: { asOf: '2024-12-31' },
    })
    expect(range('value loaded this quarter so far')).toEqual(['2026-10-01', '2026-12-01'])
    expect(range('daily refunds, first 10 days of october')).toEqual(['2026-10-01', '2026-10-10'])
    expect(range('loads in the final two months of 2025')).toEqual(['2025-11-01', '2025-12-31'])
    expect(range('redemptions for 2025, just q3')).toEqual(['2025-07-01', '2025-09-30'])
  })

  it('reads holidays any year, their weekends, and ranges between them', () => {
    expect(range('redemptions memorial day weekend')).toEqual(['2026-05-23', '2026-05-25'])
    expect(range('loads from christmas eve thru new years day')).toEqual([
      '2025-12-24',
      '2026-01-01',
    ])
    expect(range('cards sold between black friday and cyber monday 2025')).toEqual([
      '2025-11-28',
      '2025-12-01',
    ])
    expect(plan('cards idle since xmas 2024')).toMatchObject({
      tool: 'find_dormant_cards',
      args: { idleSince: '2024-12-25' },
    })
    expect(range('refunds over the weekend')).toEqual(['2026-11-28', '2026-11-29'])
    expect(plan('liability as of the 3rd of march last year')).toMatchObject({
      args: { asOf: '2025-03-03' },
    })
    expect(range('loads march 2025 thru june 2026')).toEqual(['2025-03-01', '2026-06-30'])
  })

  it('compares a period with the one before it, in one call when rows are by period', () => {
    expect(plan('refunds by month this year against last')).toMatchObject({
      args: { by: ['month'], from: '2025-01-01' },
    })
    const p = plan('loads this quarter vs the previous one')
    expect(p.kind === 'call' && [p.args.from, p.also[0]?.args.from]).toEqual([
      '2026-10-01',
      '2026-07-01',
    ])
  })

  it('reads "a day" as a breakdown by day, and orders by name said in words', () => {
    expect(plan('how many cards do we activate a day this month')).toMatchObject({
      args: { metric: 'cards_sold', by: ['day'] },
    })
    // liability has no order of its own: the words are named, not dropped
    expect(notes('liability by store, alphabetical order')).toContain('alphabetical order')
    expect(plan('refunds by state, listed by state name')).toMatchObject({
      args: { by: ['jurisdiction'], sort: 'key' },
    })
    expect(plan('redemptions per occasion A to Z')).toMatchObject({ args: { sort: 'key' } })
  })
})

describe('orders said politely or with a reason run on, and the order’s own verb', () => {
  const card: Recall = { card: 'gc_fe7c0406', tool: 'get_gift_card' }

  it('reads "would you mind …ing" as the order, and a question about it as a question', () => {
    expect(plan('would you mind freezing 4821, looks like a bot')).toMatchObject({
      tool: 'place_card_hold',
      args: { card: '4821', reason: 'looks like a bot' },
    })
    expect(plan('mind lifting the hold on 4821? customer verified')).toMatchObject({
      tool: 'release_card_hold',
    })
    expect(plan('do you mind if I ask why 4821 is on hold?')).toMatchObject({
      tool: 'list_card_holds',
    })
  })

  it('keeps a reason that runs on after the card without a comma', () => {
    expect(plan('block 4821 while we wait for the bank')).toMatchObject({
      args: { reason: 'while we wait for the bank' },
    })
    expect(plan('freeze it awaiting a call back from the store', card)).toMatchObject({
      tool: 'place_card_hold',
      args: { card: 'gc_fe7c0406', reason: 'awaiting a call back from the store' },
    })
  })

  it('lets the verb that opens the order decide the write, not a verb or place in its reason', () => {
    expect(plan('ok unfreeze it, LP confirmed the purchase was legit', card)).toMatchObject({
      tool: 'release_card_hold',
      args: { card: 'gc_fe7c0406' },
    })
    expect(plan('lock it down, same pattern as the tacoma store', card)).toMatchObject({
      tool: 'place_card_hold',
      args: { card: 'gc_fe7c0406' },
    })
  })
})

describe('the figure, the store and the tool named in words', () => {
  it('reads a figure said as a verb, and a number beating a rough score', () => {
    expect(plan('what did seattle redeem last quarter')).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'redemptions', location: 'loc_006' },
    })
    expect(plan('how many cards were activated online in q2')).toMatchObject({
      args: { metric: 'cards_sold', channel: 'online' },
    })
    expect(plan('risky alerts at tacoma, .9 and up')).toMatchObject({ args: { minScore: 0.9 } })
  })

  it('reads a store with its city short, and "store by store" as a breakdown', () => {
    expect(plan('refund abuse at the SA downtown store')).toMatchObject({
      args: { location: 'loc_016' },
    })
    expect(plan('liability in texas, split store by store')).toMatchObject({
      args: { groupBy: 'location', jurisdiction: 'US-TX' },
    })
  })

  it('picks the tool its own word names, and drops a sign-off', () => {
    expect(plan('do we still have expired cards at boston?')).toMatchObject({
      tool: 'search_gift_cards',
    })
    expect(plan('basket affinity for what people buy with gift cards')).toMatchObject({
      tool: 'product_affinity',
    })
    expect(plan('breakage we would book in march 2027')).toMatchObject({
      tool: 'forecast_breakage',
    })
    expect(plan('loads at brooklyn for september please, cheers Sam')).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'loads', location: 'loc_010' },
    })
  })
})
