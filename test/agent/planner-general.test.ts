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
