import type { Phrasing } from './planner-phrasings.ts'

/**
 * Phrasings written after the planner's rules were settled and never used to change them: the
 * honest measure of how it does on words it has not seen. When a miss here is fixed, move the
 * phrasing to PHRASINGS and write new ones here. (Third set; the first two measured 86.1% and
 * 88.6% before they were folded in.)
 */
export const HOLDOUT: Phrasing[] = [
  {
    text: 'yo what does gc_ab12cd34 have on it',
    tool: 'get_gift_card',
    args: { card: 'gc_ab12cd34' },
  },
  {
    text: 'a guest handed me card …7781, balance please',
    tool: 'get_gift_card',
    args: { card: '7781' },
  },
  {
    text: 'pull the last transactions for gc_ab12cd34',
    tool: 'get_gift_card',
    args: { card: 'gc_ab12cd34' },
  },
  {
    text: 'list every active card in Texas',
    tool: 'search_gift_cards',
    args: { status: 'active', jurisdiction: 'US-TX' },
  },
  {
    text: 'how big is our gift card liability in Georgia',
    tool: 'get_liability',
    args: { jurisdiction: 'US-GA' },
  },
  {
    text: 'total outstanding by store please',
    tool: 'get_liability',
    args: { groupBy: 'location' },
  },
  {
    text: 'breakage projection for the next 2 quarters',
    tool: 'forecast_breakage',
    args: { horizonMonths: 6 },
  },
  { text: 'run-off forecast, one year', tool: 'forecast_breakage' },
  { text: 'any alerts I should look at today?', tool: 'list_fraud_alerts', args: { days: 1 } },
  {
    text: 'show confirmed fraud from the last 30 days',
    tool: 'list_fraud_alerts',
    args: { status: 'confirmed', days: 30 },
  },
  {
    text: 'sweep the ledger for fraud over the past 10 days',
    tool: 'scan_for_fraud',
    args: { days: 10 },
  },
  { text: 'explain #55', tool: 'explain_fraud_alert', args: { alertId: 55 } },
  {
    text: 'why did the detector flag gc_ab12cd34',
    tool: 'explain_fraud_alert',
    args: { card: 'gc_ab12cd34' },
  },
  {
    text: 'close alert 55 as benign',
    tool: 'update_fraud_alert',
    args: { alertId: 55, status: 'dismissed' },
  },
  {
    text: 'put gc_ab12cd34 on hold, possible card testing',
    tool: 'place_card_hold',
    args: { card: 'gc_ab12cd34' },
  },
  {
    text: 'lock down the card ending in 4410 because of refund abuse',
    tool: 'place_card_hold',
    args: { card: '4410', reason: 'refund abuse' },
  },
  {
    text: 'lift the freeze on gc_ab12cd34',
    tool: 'release_card_hold',
    args: { card: 'gc_ab12cd34' },
  },
  { text: 'what are our purchaser segments', tool: 'segment_purchasers' },
  { text: 'who are our self-use buyers', tool: 'segment_purchasers' },
  {
    text: 'dormant balances older than 150 days',
    tool: 'find_dormant_cards',
    args: { minDays: 150 },
  },
  {
    text: 'show cards inactive for a year with at least $40',
    tool: 'find_dormant_cards',
    args: { minDays: 365, minBalanceCents: 4000 },
  },
  {
    text: 'unclaimed property report for Washington',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-WA' },
  },
  {
    text: 'which categories sell alongside gift cards',
    tool: 'product_affinity',
    args: { context: 'bought_alongside' },
  },
  {
    text: 'should we offer a gift card on a $60 beauty order',
    tool: 'recommend_upsell',
    args: { totalCents: 6000 },
  },
  { text: 'write a campaign for lapsed cards with 10% off', tool: 'draft_campaign' },
  { text: 'send campaign 8 out', tool: 'launch_campaign', args: { campaignId: 8 } },
  { text: 'approvals still pending?', tool: 'list_approvals', args: { status: 'pending' } },
  { text: 'audit log for the last 3 days', tool: 'get_audit_log', args: { days: 3 } },
  {
    text: 'has anyone tampered with the audit chain',
    tool: 'get_audit_log',
    args: { verify: true },
  },
  { text: 'what is the email of the person holding gc_ab12cd34', tool: null },
  { text: 'remove card gc_ab12cd34 from the system', tool: null },
  { text: 'hi there', tool: null },
]
