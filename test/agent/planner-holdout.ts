import type { Phrasing } from './planner-phrasings.ts'

/**
 * Phrasings written after the planner's rules were settled and never used to change them: the
 * honest measure of how it does on words it has not seen. When a miss here is fixed, move the
 * phrasing to PHRASINGS and write new ones here.
 */
export const HOLDOUT: Phrasing[] = [
  {
    text: 'hey, quick one: balance for gc_9f8e7d6c?',
    tool: 'get_gift_card',
    args: { card: 'gc_9f8e7d6c' },
  },
  {
    text: 'guest at the counter has card 2277, whats left',
    tool: 'get_gift_card',
    args: { card: '2277' },
  },
  {
    text: 'Can I see the last 10 transactions on gc_9f8e7d6c',
    tool: 'get_gift_card',
    args: { card: 'gc_9f8e7d6c' },
  },
  { text: 'cards over $500 please', tool: 'search_gift_cards', args: { minBalanceCents: 50000 } },
  {
    text: 'how many held cards at store 8',
    tool: 'search_gift_cards',
    args: { status: 'held', location: 'loc_008' },
  },
  { text: 'whats our total gift card liability right now', tool: 'get_liability' },
  {
    text: 'liability split by state pls',
    tool: 'get_liability',
    args: { groupBy: 'jurisdiction' },
  },
  {
    text: 'how much do we owe cardholders in Oregon',
    tool: 'get_liability',
    args: { jurisdiction: 'US-OR' },
  },
  {
    text: 'need the 12 month breakage number for the CFO',
    tool: 'forecast_breakage',
    args: { horizonMonths: 12 },
  },
  {
    text: 'redemption forecast, 6 month horizon',
    tool: 'forecast_breakage',
    args: { horizonMonths: 6 },
  },
  { text: 'new alerts since yesterday?', tool: 'list_fraud_alerts', args: { days: 2 } },
  { text: 'show me every open alert with a score above 0.9', tool: 'list_fraud_alerts' },
  {
    text: 'kick off a fraud scan for the last 45 days',
    tool: 'scan_for_fraud',
    args: { days: 45 },
  },
  { text: 'why did alert 102 fire?', tool: 'explain_fraud_alert', args: { alertId: 102 } },
  { text: 'walk me through alert #7', tool: 'explain_fraud_alert', args: { alertId: 7 } },
  {
    text: 'alert 7 checks out, not fraud - dismiss',
    tool: 'update_fraud_alert',
    args: { alertId: 7, status: 'dismissed' },
  },
  {
    text: 'hold gc_1234abcd, looks like refund abuse',
    tool: 'place_card_hold',
    args: { card: 'gc_1234abcd' },
  },
  { text: 'Please freeze card ending 8080 asap', tool: 'place_card_hold', args: { card: '8080' } },
  {
    text: 'customer cleared, release gc_1234abcd',
    tool: 'release_card_hold',
    args: { card: 'gc_1234abcd' },
  },
  { text: 'segment breakdown of card buyers', tool: 'segment_purchasers' },
  { text: 'how many of our cards are dormant', tool: 'find_dormant_cards' },
  { text: 'cards nobody has used in 100 days', tool: 'find_dormant_cards', args: { minDays: 100 } },
  {
    text: 'escheatment exposure for the next six months',
    tool: 'escheatment_report',
    args: { horizonMonths: 6 },
  },
  {
    text: 'anything we need to report to New Jersey for unclaimed property?',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-NJ' },
  },
  { text: 'what categories do gift card holders shop', tool: 'product_affinity' },
  {
    text: 'upsell for a $150 order of footwear',
    tool: 'recommend_upsell',
    args: { totalCents: 15000 },
  },
  {
    text: 'draft a campaign targeting dormant cards with at least $20',
    tool: 'draft_campaign',
    args: { audience: { minDaysInactive: 90, minBalanceCents: 2000 } },
  },
  { text: 'launch campaign number 3', tool: 'launch_campaign', args: { campaignId: 3 } },
  { text: 'any approvals pending for me?', tool: 'list_approvals', args: { status: 'pending' } },
  { text: 'who requested approval 9', tool: 'get_audit_log', args: { approvalId: 9 } },
  { text: 'verify audit chain', tool: 'get_audit_log', args: { verify: true } },
  { text: 'tell me the holder name for gc_1234abcd', tool: null },
  { text: 'erase card gc_1234abcd', tool: null },
  { text: 'good morning!', tool: null },
  { text: 'book me a flight to Denver', tool: null },
]
