import { describe, expect, it } from 'vitest'
import { planRequest, type Recall } from '../../agent/index.ts'
import { DEMO_VOCABULARY, splitCorpus } from './planner-score.ts'

// What the misses of the spent held-out sets showed, in new words (docs/planner.md): each case
// failed before the change that reads it.
const { context } = splitCorpus()
const plan = (text: string, recall: Recall = {}) =>
  planRequest(text, recall, { ...context, vocabulary: DEMO_VOCABULARY })
const tools = (text: string, recall: Recall = {}) => {
  const p = plan(text, recall)
  return p.kind === 'call' ? [p.tool, ...p.also.map((c) => c.tool)] : []
}

describe('the planner reads dates, scores, amounts and orders people write', () => {
  it('reads holidays, "the 15th", rolling past windows and hours as days', () => {
    expect(plan('alerts since thanksgiving')).toMatchObject({ args: { since: '2026-11-26' } })
    expect(plan('loads by week since labor day')).toMatchObject({ args: { from: '2026-09-07' } })
    expect(plan('holds placed since the 15th')).toMatchObject({
      tool: 'list_card_holds',
      args: { since: '2026-11-15' },
    })
    expect(plan('scan the past week')).toMatchObject({ tool: 'scan_for_fraud', args: { days: 7 } })
    expect(plan('run a scan over the last 72h')).toMatchObject({ args: { days: 3 } })
    expect(plan('breakage forecast for feb-apr next year')).toMatchObject({
      args: { periodFrom: '2027-02', periodTo: '2027-04' },
    })
  })

  it('reads ".75+" and ">= 0.6" as scores, and "$5 to $20" as a balance range', () => {
    expect(plan('refund abuse alerts, score .75+')).toMatchObject({ args: { minScore: 0.75 } })
    expect(plan('alerts with score >= 0.6 this week')).toMatchObject({ args: { minScore: 0.6 } })
    expect(plan('dormant cards with $5 to $20 left')).toMatchObject({
      args: { minBalanceCents: 500, maxBalanceCents: 2000 },
    })
  })

  it('orders metric rows as asked, and reads a number of cards as a limit', () => {
    expect(plan('refunds by store last month, highest first')).toMatchObject({
      args: { sort: 'value_desc' },
    })
    expect(plan('loads by month this year in key order')).toMatchObject({ args: { sort: 'key' } })
    expect(plan('25 tacoma cards, most recently used first')).toMatchObject({
      args: { location: 'loc_009', sort: 'last_activity_desc', limit: 25 },
    })
  })
})

describe('the planner answers how-to questions in words and refuses by rule', () => {
  it('explains how things work without calling a tool, unless a record is named', () => {
    for (const text of [
      'how would I go about freezing a card?',
      'what does reload and drain mean?',
      'does lifting a hold need a manager to sign off?',
    ])
      expect(plan(text), text).toMatchObject({ kind: 'reply', intent: 'howto' })
    expect(plan('is 7731 on hold?')).toMatchObject({ tool: 'list_card_holds' })
  })

  it('refuses customer contact details, a new card and a balance change', () => {
    expect(plan('send me the cardholder emails for texas')).toMatchObject({ intent: 'refuse_pii' })
    expect(plan('issue her a replacement card')).toMatchObject({ intent: 'refuse_money' })
    expect(plan('take $15 off the balance on 8137')).toMatchObject({ intent: 'refuse_money' })
    expect(plan('cards sold in march 2026 vs march 2025')).toMatchObject({ tool: 'ledger_metrics' })
  })
})

describe('the planner follows the thread', () => {
  const metric: Recall = { tool: 'ledger_metrics', args: { metric: 'loads', by: ['month'] } }

  it('narrows the last call with words that name no tool, and adds a dimension with "too"', () => {
    expect(plan('texas only', metric)).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'loads', by: ['month'], jurisdiction: 'US-TX' },
    })
    expect(plan('split by channel too', metric)).toMatchObject({
      args: { by: ['month', 'channel'] },
    })
    expect(
      plan('in a spreadsheet please', {
        tool: 'get_liability',
        args: { groupBy: 'jurisdiction' },
      }),
    ).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'liability', by: ['jurisdiction'], format: 'csv' },
    })
  })

  it('takes a bare alert number over the one remembered, and a note never picks alerts', () => {
    expect(
      plan('what is behind 41', {
        tool: 'explain_fraud_alert',
        alertId: 9,
        args: { alertId: 9 },
      }),
    ).toMatchObject({
      tool: 'explain_fraud_alert',
      args: { alertId: 41 },
    })
    expect(plan('dismiss 21 - a bulk buyer the store knows')).toMatchObject({
      tool: 'update_fraud_alert',
      args: { alertId: 21, status: 'dismissed', note: 'a bulk buyer the store knows' },
      also: [],
    })
    expect(plan('dismiss it - that pattern is normal for them', { alertId: 38 })).toMatchObject({
      tool: 'update_fraud_alert',
      args: { alertId: 38, status: 'dismissed' },
      also: [],
    })
    expect(plan('should we dismiss 17?')).toMatchObject({ tool: 'explain_fraud_alert' })
  })

  it('reads "the riskiest one", "do it" after a question about a hold, and a reason said first', () => {
    const alerts: Recall = {
      tool: 'list_fraud_alerts',
      alerts: [
        { alertId: 6, cardId: 'gc_71c7f3f3' },
        { alertId: 11, cardId: 'gc_3eaf98d3' },
      ],
    }
    expect(plan('freeze the riskiest one', alerts)).toMatchObject({
      tool: 'place_card_hold',
      args: { alertId: 6 },
    })
    expect(
      plan('ok do it. same device as last week', {
        tool: 'list_card_holds',
        card: 'gc_e60cb1e2',
        lastAsk: 'should we freeze it?',
      }),
    ).toMatchObject({
      tool: 'place_card_hold',
      args: { card: 'gc_e60cb1e2', reason: 'same device as last week' },
    })
    expect(plan('she found it after all. release 4819')).toMatchObject({
      tool: 'release_card_hold',
      args: { card: '4819', reason: 'she found it after all' },
    })
    expect(
      plan("what's the second one about", { tool: 'list_approvals', approvals: [5, 4] }),
    ).toMatchObject({ tool: 'list_approvals', args: { approvalId: 4 } })
  })
})

describe('the planner compares and drafts as asked', () => {
  it('makes one call per store or period compared', () => {
    expect(tools('redemptions at houston vs tacoma in october')).toEqual([
      'ledger_metrics',
      'ledger_metrics',
    ])
    expect(plan('cards sold q1 vs q2')).toMatchObject({
      args: { from: '2026-01-01', to: '2026-03-31' },
      also: [{ args: { from: '2026-04-01', to: '2026-06-30' } }],
    })
    expect(plan('loads in NY vs NJ this year')).toMatchObject({
      tool: 'ledger_metrics',
      args: { by: ['jurisdiction'] },
    })
  })

  it("keeps a campaign's name and message verbatim and reads nothing inside them", () => {
    expect(
      plan(
        'draft a campaign named Winter Wake for cards idle 60+ days, message: "A holiday treat since march"',
      ),
    ).toMatchObject({
      args: {
        name: 'Winter Wake',
        message: 'A holiday treat since march',
        audience: { minDaysInactive: 60 },
      },
    })
    expect(plan('campaigns waiting for launch approval')).toMatchObject({
      args: { status: 'pending_approval' },
    })
  })
})

describe('the planner reads stores, counts and reasons as people name them', () => {
  it('reads stores by short names and cities as a whole', () => {
    expect(plan('refunds at the LA store this month')).toMatchObject({
      args: { location: 'loc_018' },
    })
    expect(plan('cards sold at NY downtown last week')).toMatchObject({
      args: { location: 'loc_020' },
    })
    expect(plan('portland dt loads by month')).toMatchObject({ args: { location: 'loc_013' } })
    expect(plan('refunds at san fran last month')).toMatchObject({ args: { location: 'loc_001' } })
    expect(plan('liability for all the boston stores, one row per store')).toMatchObject({
      tool: 'get_liability',
      args: { location: 'Boston', groupBy: 'location' },
    })
    // A store named after its state: "stores" in the plural are the state's, the singular the store.
    expect(plan('liability for New York stores')).toMatchObject({
      tool: 'get_liability',
      args: { jurisdiction: 'US-NY' },
    })
    expect(plan('liability for New York stores')).not.toMatchObject({
      args: { location: 'loc_015' },
    })
    expect(plan('liability at the New York store')).toMatchObject({ args: { location: 'loc_015' } })
  })

  it('counts alerts by store or rule with the alerts tool, and reads the alerts of a card', () => {
    expect(plan('open alerts by store this month')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { countBy: 'location' },
    })
    expect(plan('confirmed alerts, count by rule')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { status: 'confirmed', countBy: 'rule' },
      also: [],
    })
    expect(plan('card testing: how many, and which stores?')).toMatchObject({
      args: { rule: 'card_testing', countBy: 'location' },
    })
    expect(plan('any alerts for gc_b270dd76')).toMatchObject({
      tool: 'explain_fraud_alert',
      args: { card: 'gc_b270dd76' },
    })
    expect(plan('top 2 channels by redemptions this year')).toMatchObject({
      args: { by: ['channel'], top: 2 },
    })
  })

  it('keeps what follows an order, or sits in brackets, as the reason or note', () => {
    expect(plan('freeze gc_71c7f3f3. forty lookups from one terminal, 2 stores')).toMatchObject({
      tool: 'place_card_hold',
      args: { reason: 'forty lookups from one terminal, 2 stores' },
      also: [],
    })
    expect(plan('dismiss alert 14 (known corporate buyer, checked with finance)')).toMatchObject({
      args: { alertId: 14, note: 'known corporate buyer, checked with finance' },
    })
    expect(plan('Please hold card 6810. The manager saw it used in two states.')).toMatchObject({
      args: { reason: 'The manager saw it used in two states.' },
    })
  })
})

describe('the planner tells figures from rules and orders from questions', () => {
  it('reads "refunds" as a figure, "refund alerts" as a rule, and "refund it" as a refusal', () => {
    expect(plan('refunds at buffalo this yr')).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'refunds', location: 'loc_003' },
    })
    expect(plan('refund alerts since monday')).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { rule: 'refund_abuse' },
    })
    expect(plan('refund this card')).toMatchObject({ intent: 'refuse_money' })
    expect(plan('number of load transactions in october by occasion')).toMatchObject({
      args: { metric: 'loads', by: ['occasion'] },
    })
  })

  it('triages a numbered alert after "and", and reads liability at the end of one day', () => {
    expect(plan('and confirm 14, no innocent reason for that')).toMatchObject({
      tool: 'update_fraud_alert',
      args: { alertId: 14, status: 'confirmed', note: 'no innocent reason for that' },
    })
    expect(plan('liability per store at close of business yesterday')).toMatchObject({
      tool: 'get_liability',
      args: { groupBy: 'location', asOf: '2026-11-30' },
    })
    expect(plan('should we freeze 2660?')).toMatchObject({
      tool: 'explain_fraud_alert',
      args: { card: '2660' },
    })
  })
})

describe('the planner picks the tool that answers', () => {
  it('counts alerts from the metrics, lists the biggest balances, and audits who requested', () => {
    expect(plan('how many open alerts are there at our florida stores')).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'fraud_alerts', status: 'open', jurisdiction: 'US-FL' },
    })
    expect(plan('top 3 balances in NJ')).toMatchObject({
      tool: 'search_gift_cards',
      args: { jurisdiction: 'US-NJ', sort: 'balance_desc', limit: 3 },
    })
    expect(plan('who has been requesting releases this month?')).toMatchObject({
      tool: 'get_audit_log',
      args: { tool: 'release_card_hold' },
    })
    expect(plan('who put the hold on 3048')).toMatchObject({ tool: 'list_card_holds' })
  })

  it('reads held cards of a store, a segment from the metrics, and a city one row per store', () => {
    expect(plan('any holds at the tacoma store?')).toMatchObject({
      tool: 'search_gift_cards',
      args: { status: 'held', location: 'loc_009' },
    })
    expect(plan('average balance by segment')).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'liability', by: ['segment'] },
    })
    expect(plan('redemptions at the two portland stores last month')).toMatchObject({
      args: { location: 'Portland', by: ['location'] },
    })
  })
})

describe('the planner asks which store rather than guess', () => {
  it('asks which downtown store, and reads the answer with the request asked before', () => {
    expect(plan('how is the downtown store doing on refunds')).toMatchObject({
      kind: 'reply',
      intent: 'clarify',
      text: expect.stringContaining('Boston Downtown'),
    })
    expect(plan('portland', { lastAsk: 'open alerts at the downtown store' })).toMatchObject({
      tool: 'list_fraud_alerts',
      args: { location: 'loc_013' },
    })
    expect(plan('alerts at the boston downtown store')).toMatchObject({
      args: { location: 'loc_017' },
    })
  })

  it('holds by the alert when the thread is about an alert', () => {
    expect(
      plan('ok hold that card, looks like a bot', {
        tool: 'explain_fraud_alert',
        args: { alertId: 6 },
        alertId: 6,
        card: 'gc_71c7f3f3',
      }),
    ).toMatchObject({ tool: 'place_card_hold', args: { alertId: 6, reason: 'looks like a bot' } })
  })
})

describe('the planner keeps a long request together', () => {
  it('reads a window said first, "which ten stores", a split asked after, and fraud loss', () => {
    expect(
      plan('For the period October 1 through October 31, which five stores had the most loads?'),
    ).toMatchObject({
      tool: 'ledger_metrics',
      args: { metric: 'loads', by: ['location'], from: '2026-10-01', to: '2026-10-31', top: 5 },
      also: [],
    })
    expect(
      plan('What did we owe at the end of June 30, 2026, and how did it split across states?'),
    ).toMatchObject({
      tool: 'get_liability',
      args: { groupBy: 'jurisdiction', asOf: '2026-06-30' },
      also: [],
    })
    expect(plan('value spent on cards that have confirmed fraud alerts since july')).toMatchObject({
      args: { metric: 'fraud_loss', status: 'confirmed' },
    })
  })
})
