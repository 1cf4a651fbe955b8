import type { Recall } from '../../agent/index.ts'

/**
 * How the three user groups ask for things, in their own words, with the tool call the planner
 * should make (`null`: it should answer in words — a question, a refusal) and the arguments that
 * must be right. `recall` is what earlier turns established ("it", "that card").
 */
export type Phrasing = {
  text: string
  tool: string | null
  args?: Record<string, unknown>
  recall?: Recall
}

const card = 'gc_7f3a9c21'
const afterCard: Recall = { card, tool: 'get_gift_card', args: { card } }
const afterAlerts: Recall = { alertId: 17, tool: 'list_fraud_alerts', args: { status: 'open' } }
const afterLiability: Recall = { tool: 'get_liability', args: { groupBy: 'jurisdiction' } }
const afterForecast: Recall = { tool: 'forecast_breakage', args: { horizonMonths: 12 } }
const afterDraft: Recall = { campaignId: 4, tool: 'draft_campaign', args: {} }

export const PHRASINGS: Phrasing[] = [
  // Balances and lookups (all groups)
  { text: `What's the balance on ${card}?`, tool: 'get_gift_card', args: { card } },
  { text: `balance of card ${card}`, tool: 'get_gift_card', args: { card } },
  { text: `look up ${card}`, tool: 'get_gift_card', args: { card } },
  { text: 'Balance on the card ending in 4821?', tool: 'get_gift_card', args: { card: '4821' } },
  { text: 'check card 4821', tool: 'get_gift_card', args: { card: '4821' } },
  {
    text: 'how much is left on the card ending with 0093',
    tool: 'get_gift_card',
    args: { card: '0093' },
  },
  { text: 'last four 5512 - what is on it?', tool: 'get_gift_card', args: { card: '5512' } },
  {
    text: 'customer has a card ****7730, can you check the balance',
    tool: 'get_gift_card',
    args: { card: '7730' },
  },
  { text: `status of ${card}`, tool: 'get_gift_card', args: { card } },
  {
    text: `show me the transaction history for ${card}`,
    tool: 'get_gift_card',
    args: { card, transactions: 10 },
  },
  { text: `${card}`, tool: 'get_gift_card', args: { card } },
  { text: 'what is its balance?', tool: 'get_gift_card', args: { card }, recall: afterCard },
  {
    text: 'and the history of that card?',
    tool: 'get_gift_card',
    args: { card, transactions: 10 },
    recall: afterCard,
  },
  { text: 'what is the balance?', tool: null },
  { text: 'details for card xxxx1290', tool: 'get_gift_card', args: { card: '1290' } },
  // Search
  {
    text: 'find cards with a balance over $200',
    tool: 'search_gift_cards',
    args: { minBalanceCents: 20000 },
  },
  {
    text: 'list cards issued at store 12',
    tool: 'search_gift_cards',
    args: { location: 'loc_012' },
  },
  { text: 'show all cards on hold', tool: 'search_gift_cards', args: { status: 'held' } },
  { text: 'which cards are held right now?', tool: 'search_gift_cards', args: { status: 'held' } },
  {
    text: 'how many cards are on hold at loc_004',
    tool: 'search_gift_cards',
    args: { status: 'held', location: 'loc_004' },
  },
  { text: 'search for cards ending in 4821', tool: 'search_gift_cards', args: { last4: '4821' } },
  {
    text: 'find cards in California with more than $100 on them',
    tool: 'search_gift_cards',
    args: { jurisdiction: 'US-CA', minBalanceCents: 10000 },
  },
  {
    text: 'list active cards under $5',
    tool: 'search_gift_cards',
    args: { status: 'active', maxBalanceCents: 500 },
  },
  {
    text: 'show me cards from location 3 with at least 50 dollars',
    tool: 'search_gift_cards',
    args: { location: 'loc_003', minBalanceCents: 5000 },
  },
  // Liability
  {
    text: 'What is our outstanding gift card liability?',
    tool: 'get_liability',
    args: { groupBy: 'total' },
  },
  { text: 'liability by state', tool: 'get_liability', args: { groupBy: 'jurisdiction' } },
  {
    text: 'break down the liability per store',
    tool: 'get_liability',
    args: { groupBy: 'location' },
  },
  {
    text: 'how much do we owe on gift cards in Texas?',
    tool: 'get_liability',
    args: { jurisdiction: 'US-TX' },
  },
  {
    text: 'outstanding balance in New York',
    tool: 'get_liability',
    args: { jurisdiction: 'US-NY' },
  },
  { text: 'unredeemed balances in CA', tool: 'get_liability', args: { jurisdiction: 'US-CA' } },
  { text: 'liability at loc_007', tool: 'get_liability', args: { location: 'loc_007' } },
  { text: 'liability by cohort', tool: 'get_liability', args: { groupBy: 'cohort' } },
  { text: 'liability by occasion', tool: 'get_liability', args: { groupBy: 'occasion' } },
  {
    text: 'deferred revenue from gift cards by channel',
    tool: 'get_liability',
    args: { groupBy: 'channel' },
  },
  {
    text: 'what was the liability as of 2026-06-30?',
    tool: 'get_liability',
    args: { asOf: '2026-06-30' },
  },
  { text: 'total float on our cards', tool: 'get_liability', args: { groupBy: 'total' } },
  {
    text: 'and Texas?',
    tool: 'get_liability',
    args: { jurisdiction: 'US-TX' },
    recall: afterLiability,
  },
  {
    text: 'what about Washington',
    tool: 'get_liability',
    args: { jurisdiction: 'US-WA' },
    recall: afterLiability,
  },
  {
    text: 'how much money is sitting on unredeemed cards in Florida',
    tool: 'get_liability',
    args: { jurisdiction: 'US-FL' },
  },
  // Breakage forecast
  { text: 'forecast breakage', tool: 'forecast_breakage', args: { horizonMonths: 12 } },
  {
    text: 'breakage forecast for the next 6 months',
    tool: 'forecast_breakage',
    args: { horizonMonths: 6 },
  },
  {
    text: 'project redemptions over the next 18 months',
    tool: 'forecast_breakage',
    args: { horizonMonths: 18 },
  },
  {
    text: 'how much will never be redeemed?',
    tool: 'forecast_breakage',
    args: { horizonMonths: 12 },
  },
  {
    text: 'give me a 24-month liability run-off',
    tool: 'forecast_breakage',
    args: { horizonMonths: 24 },
  },
  {
    text: 'ASC 606 breakage recognition schedule for next year',
    tool: 'forecast_breakage',
    args: { horizonMonths: 12 },
  },
  {
    text: 'predict redemptions for the next quarter',
    tool: 'forecast_breakage',
    args: { horizonMonths: 3 },
  },
  {
    text: 'expected redemptions next 2 years',
    tool: 'forecast_breakage',
    args: { horizonMonths: 24 },
  },
  {
    text: 'what about the next 3 months?',
    tool: 'forecast_breakage',
    args: { horizonMonths: 3 },
    recall: afterForecast,
  },
  { text: 'breakage outlook as of 2026-01', tool: 'forecast_breakage', args: { asOf: '2026-01' } },
  // Fraud alerts
  { text: 'any fraud alerts?', tool: 'list_fraud_alerts', args: { status: 'open' } },
  {
    text: 'show open fraud alerts from the last 7 days',
    tool: 'list_fraud_alerts',
    args: { status: 'open', days: 7 },
  },
  { text: 'suspicious activity this week', tool: 'list_fraud_alerts', args: { days: 7 } },
  {
    text: 'fraud alerts at store 4 in the past month',
    tool: 'list_fraud_alerts',
    args: { location: 'loc_004', days: 30 },
  },
  { text: 'list high risk alerts', tool: 'list_fraud_alerts', args: { minScore: 0.8 } },
  { text: 'confirmed fraud alerts', tool: 'list_fraud_alerts', args: { status: 'confirmed' } },
  {
    text: 'which alerts did we dismiss?',
    tool: 'list_fraud_alerts',
    args: { status: 'dismissed' },
  },
  { text: 'refund abuse alerts', tool: 'list_fraud_alerts', args: { rule: 'refund_abuse' } },
  {
    text: 'any balance check enumeration going on?',
    tool: 'list_fraud_alerts',
    args: { rule: 'balance_check_enumeration' },
  },
  {
    text: 'impossible travel alerts last 30 days',
    tool: 'list_fraud_alerts',
    args: { rule: 'impossible_travel', days: 30 },
  },
  {
    text: 'cards flagged for reload and drain',
    tool: 'list_fraud_alerts',
    args: { rule: 'reload_and_drain' },
  },
  { text: 'show bulk purchase alerts', tool: 'list_fraud_alerts', args: { rule: 'bulk_purchase' } },
  {
    text: "what's in the loss prevention queue today",
    tool: 'list_fraud_alerts',
    args: { days: 1 },
  },
  { text: 'any red flags in the last 2 weeks?', tool: 'list_fraud_alerts', args: { days: 14 } },
  {
    text: 'and at loc_009?',
    tool: 'list_fraud_alerts',
    args: { location: 'loc_009' },
    recall: afterAlerts,
  },
  // Fraud scan
  { text: 'scan for fraud', tool: 'scan_for_fraud', args: { days: 30 } },
  {
    text: 'run the fraud detectors over the last 90 days',
    tool: 'scan_for_fraud',
    args: { days: 90 },
  },
  {
    text: 'check for fraud at store 2 this week',
    tool: 'scan_for_fraud',
    args: { location: 'loc_002', days: 7 },
  },
  { text: 'do a fraud sweep for the past 60 days', tool: 'scan_for_fraud', args: { days: 60 } },
  { text: 'run fraud detection on yesterday', tool: 'scan_for_fraud', args: { days: 2 } },
  { text: 'look for fraud in the last 24 hours', tool: 'scan_for_fraud', args: { days: 1 } },
  {
    text: 'rerun fraud checks for location 15',
    tool: 'scan_for_fraud',
    args: { location: 'loc_015' },
  },
  // Explain
  { text: 'explain alert 17', tool: 'explain_fraud_alert', args: { alertId: 17 } },
  { text: 'why was alert #23 raised?', tool: 'explain_fraud_alert', args: { alertId: 23 } },
  { text: `why was ${card} flagged?`, tool: 'explain_fraud_alert', args: { card } },
  { text: 'what triggered alert 5', tool: 'explain_fraud_alert', args: { alertId: 5 } },
  {
    text: 'explain the top one',
    tool: 'explain_fraud_alert',
    args: { alertId: 17 },
    recall: afterAlerts,
  },
  {
    text: 'tell me more about that alert',
    tool: 'explain_fraud_alert',
    args: { alertId: 17 },
    recall: afterAlerts,
  },
  { text: 'show the evidence for alert 8', tool: 'explain_fraud_alert', args: { alertId: 8 } },
  { text: 'why is it flagged?', tool: 'explain_fraud_alert', args: { card }, recall: afterCard },
  { text: 'details on alert no. 41', tool: 'explain_fraud_alert', args: { alertId: 41 } },
  // Triage
  {
    text: 'dismiss alert 17, false positive',
    tool: 'update_fraud_alert',
    args: { alertId: 17, status: 'dismissed' },
  },
  {
    text: 'confirm alert 9 as fraud',
    tool: 'update_fraud_alert',
    args: { alertId: 9, status: 'confirmed' },
  },
  {
    text: 'mark alert #12 as a false positive because the customer called',
    tool: 'update_fraud_alert',
    args: { alertId: 12, status: 'dismissed', note: 'the customer called' },
  },
  {
    text: 'alert 30 is real fraud',
    tool: 'update_fraud_alert',
    args: { alertId: 30, status: 'confirmed' },
  },
  {
    text: 'close that alert, it is legit',
    tool: 'update_fraud_alert',
    args: { alertId: 17, status: 'dismissed' },
    recall: afterAlerts,
  },
  { text: 'dismiss the alert', tool: null },
  // Holds
  { text: `hold card ${card}`, tool: 'place_card_hold', args: { card } },
  {
    text: `put a hold on ${card} because of suspected card testing`,
    tool: 'place_card_hold',
    args: { card, reason: 'suspected card testing' },
  },
  { text: 'freeze the card ending in 4821', tool: 'place_card_hold', args: { card: '4821' } },
  { text: 'hold it', tool: 'place_card_hold', args: { card }, recall: afterCard },
  {
    text: 'block that card due to refund abuse',
    tool: 'place_card_hold',
    args: { card, reason: 'refund abuse' },
    recall: afterCard,
  },
  {
    text: 'suspend card 9917 for suspected fraud',
    tool: 'place_card_hold',
    args: { card: '9917', reason: 'suspected fraud' },
  },
  { text: 'hold the card from alert 17', tool: 'place_card_hold', args: { alertId: 17 } },
  {
    text: 'please freeze it, reason: drained right after activation',
    tool: 'place_card_hold',
    args: { card, reason: 'drained right after activation' },
    recall: afterCard,
  },
  { text: 'hold the card', tool: null },
  // Releases
  { text: `release the hold on ${card}`, tool: 'release_card_hold', args: { card } },
  {
    text: 'lift the hold on card 4821, customer verified',
    tool: 'release_card_hold',
    args: { card: '4821' },
  },
  { text: 'unfreeze it', tool: 'release_card_hold', args: { card }, recall: afterCard },
  {
    text: `remove the hold from ${card} because the investigation cleared it`,
    tool: 'release_card_hold',
    args: { card, reason: 'the investigation cleared it' },
  },
  { text: 'unblock that card', tool: 'release_card_hold', args: { card }, recall: afterCard },
  { text: 'release all holds', tool: null },
  // Segments
  { text: 'segment our purchasers', tool: 'segment_purchasers', args: { by: 'both' } },
  { text: 'who buys our gift cards?', tool: 'segment_purchasers' },
  { text: 'purchaser segments by occasion', tool: 'segment_purchasers', args: { by: 'occasion' } },
  {
    text: 'segment buyers by redemption behaviour',
    tool: 'segment_purchasers',
    args: { by: 'behaviour' },
  },
  {
    text: 'how many corporate buyers do we have?',
    tool: 'segment_purchasers',
    args: { by: 'occasion' },
  },
  { text: 'what kinds of customers buy gift cards', tool: 'segment_purchasers' },
  {
    text: 'show me the holiday gifters segment',
    tool: 'segment_purchasers',
    args: { by: 'occasion' },
  },
  { text: 'buyer personas please', tool: 'segment_purchasers' },
  // Dormant
  { text: 'find dormant cards', tool: 'find_dormant_cards', args: { minDays: 90 } },
  { text: 'cards inactive for 60 days', tool: 'find_dormant_cards', args: { minDays: 60 } },
  {
    text: 'which cards have not been used in 6 months?',
    tool: 'find_dormant_cards',
    args: { minDays: 180 },
  },
  {
    text: 'dormant cards with more than $50 on them',
    tool: 'find_dormant_cards',
    args: { minDays: 90, minBalanceCents: 5000 },
  },
  { text: 'idle cards over 120 days', tool: 'find_dormant_cards', args: { minDays: 120 } },
  {
    text: "cards that haven't been touched in a year",
    tool: 'find_dormant_cards',
    args: { minDays: 365 },
  },
  {
    text: 'show lapsed cards with no activity in 45 days',
    tool: 'find_dormant_cards',
    args: { minDays: 45 },
  },
  { text: 'forgotten balances', tool: 'find_dormant_cards' },
  // Escheatment
  { text: 'escheatment report', tool: 'escheatment_report', args: { horizonMonths: 6 } },
  {
    text: 'what unclaimed property do we owe in New York?',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-NY' },
  },
  {
    text: 'escheatment for Delaware over the next 12 months',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-DE', horizonMonths: 12 },
  },
  { text: 'which balances must we turn over to the state this year?', tool: 'escheatment_report' },
  {
    text: 'abandoned property report for Massachusetts',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-MA' },
  },
  {
    text: 'cards hitting their dormancy deadline in the next 3 months',
    tool: 'escheatment_report',
    args: { horizonMonths: 3 },
  },
  {
    text: 'escheat exposure in Texas',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-TX' },
  },
  // Affinity
  {
    text: 'what do people buy with gift cards?',
    tool: 'product_affinity',
    args: { context: 'redeemed_with' },
  },
  {
    text: 'product affinity for gift card redemptions',
    tool: 'product_affinity',
    args: { context: 'redeemed_with' },
  },
  {
    text: 'what gets bought alongside gift cards?',
    tool: 'product_affinity',
    args: { context: 'bought_alongside' },
  },
  {
    text: 'which categories are purchased together with gift cards',
    tool: 'product_affinity',
    args: { context: 'bought_alongside', level: 'category' },
  },
  {
    text: 'top SKUs redeemed with gift cards',
    tool: 'product_affinity',
    args: { context: 'redeemed_with', level: 'sku' },
  },
  {
    text: 'what do recipients spend their gift cards on',
    tool: 'product_affinity',
    args: { context: 'redeemed_with' },
  },
  { text: 'cross-sell opportunities with gift cards', tool: 'product_affinity' },
  // Upsell
  {
    text: 'should the cashier offer a gift card for a $125 home goods basket, customer with 2 prior visits?',
    tool: 'recommend_upsell',
    args: { totalCents: 12500, priorVisits: 2 },
  },
  {
    text: 'upsell recommendation for an $80 toys basket',
    tool: 'recommend_upsell',
    args: { totalCents: 8000 },
  },
  {
    text: 'recommend a gift card at checkout: $40 of books, first-time customer',
    tool: 'recommend_upsell',
    args: { totalCents: 4000, priorVisits: 0 },
  },
  {
    text: 'would you suggest a gift card add-on for a $210 electronics order, 5 visits',
    tool: 'recommend_upsell',
    args: { totalCents: 21000, priorVisits: 5 },
  },
  {
    text: 'upsell check: 60 dollars of apparel',
    tool: 'recommend_upsell',
    args: { totalCents: 6000 },
  },
  // Campaigns
  { text: 'draft a campaign for dormant cards', tool: 'draft_campaign' },
  {
    text: 'create a win-back campaign for cards idle 120 days',
    tool: 'draft_campaign',
    args: { audience: { minDaysInactive: 120, minBalanceCents: 500 } },
  },
  {
    text: 'draft a reactivation email for cards inactive 6 months with over $25',
    tool: 'draft_campaign',
    args: { audience: { minDaysInactive: 180, minBalanceCents: 2500 } },
  },
  {
    text: 'plan a campaign to dormant holders offering 10% off',
    tool: 'draft_campaign',
    args: { offer: '10% off' },
  },
  { text: 'make a holiday reactivation campaign', tool: 'draft_campaign' },
  { text: 'launch campaign 4', tool: 'launch_campaign', args: { campaignId: 4 } },
  { text: 'send campaign #7', tool: 'launch_campaign', args: { campaignId: 7 } },
  { text: 'launch it', tool: 'launch_campaign', args: { campaignId: 4 }, recall: afterDraft },
  {
    text: 'ok, go live with that campaign',
    tool: 'launch_campaign',
    args: { campaignId: 4 },
    recall: afterDraft,
  },
  { text: 'launch the campaign', tool: null },
  // Approvals
  { text: 'pending approvals', tool: 'list_approvals', args: { status: 'pending' } },
  { text: 'what is waiting for a manager?', tool: 'list_approvals', args: { status: 'pending' } },
  { text: 'show approval 12', tool: 'list_approvals', args: { approvalId: 12 } },
  { text: 'list executed approvals', tool: 'list_approvals', args: { status: 'executed' } },
  { text: 'which requests were rejected?', tool: 'list_approvals' },
  { text: 'status of my approval requests', tool: 'list_approvals' },
  { text: 'approve 12', tool: null },
  // Audit
  { text: 'show the audit log', tool: 'get_audit_log' },
  { text: 'who approved the hold on that card?', tool: 'get_audit_log' },
  {
    text: 'verify the audit trail has not been tampered with',
    tool: 'get_audit_log',
    args: { verify: true },
  },
  {
    text: 'audit entries for slack:U0123ABC',
    tool: 'get_audit_log',
    args: { actor: 'slack:U0123ABC' },
  },
  { text: 'audit trail for approval 5', tool: 'get_audit_log', args: { approvalId: 5 } },
  {
    text: 'what did people do in the last 7 days? audit please',
    tool: 'get_audit_log',
    args: { days: 7 },
  },
  { text: 'check the integrity of the audit log', tool: 'get_audit_log', args: { verify: true } },
  // Cannot do / refusals / help
  { text: 'who owns card 4821?', tool: null },
  { text: "what's the customer's email for that card", tool: null, recall: afterCard },
  { text: 'delete all the fraud alerts', tool: null },
  { text: 'issue a new $50 gift card', tool: null },
  { text: `add $20 to ${card}`, tool: null },
  { text: 'refund this card to the customer', tool: null },
  { text: 'email the customer about their balance', tool: null },
  { text: 'hello', tool: null },
  { text: 'what can you do?', tool: null },
  { text: "what's the weather tomorrow", tool: null },
  // Written as a held-out set (86.1% tool accuracy when first measured), then used to fix the gaps it showed
  {
    text: 'can you tell me how much money remains on gc_55aa11bb',
    tool: 'get_gift_card',
    args: { card: 'gc_55aa11bb' },
  },
  {
    text: 'a shopper says their card ends in 3108, what does it have',
    tool: 'get_gift_card',
    args: { card: '3108' },
  },
  { text: 'pull up gc_0a0b0c0d please', tool: 'get_gift_card', args: { card: 'gc_0a0b0c0d' } },
  {
    text: 'gift card liability for Illinois',
    tool: 'get_liability',
    args: { jurisdiction: 'US-IL' },
  },
  { text: 'total unredeemed value across the chain', tool: 'get_liability' },
  {
    text: 'show liability for each location',
    tool: 'get_liability',
    args: { groupBy: 'location' },
  },
  { text: "what's our breakage rate going to be", tool: 'forecast_breakage' },
  {
    text: 'forecast the next 9 months of redemptions',
    tool: 'forecast_breakage',
    args: { horizonMonths: 9 },
  },
  { text: 'did anything get flagged overnight?', tool: 'list_fraud_alerts' },
  { text: 'open alerts for loc_021', tool: 'list_fraud_alerts', args: { location: 'loc_021' } },
  {
    text: 'please run a fraud scan on the last 14 days',
    tool: 'scan_for_fraud',
    args: { days: 14 },
  },
  { text: 'what caused alert 88 to fire', tool: 'explain_fraud_alert', args: { alertId: 88 } },
  {
    text: 'alert 88 was a false positive, dismiss it',
    tool: 'update_fraud_alert',
    args: { alertId: 88, status: 'dismissed' },
  },
  {
    text: 'we confirmed alert 14, mark it confirmed',
    tool: 'update_fraud_alert',
    args: { alertId: 14, status: 'confirmed' },
  },
  {
    text: 'lock card gc_77aa88bb, it looks like card testing',
    tool: 'place_card_hold',
    args: { card: 'gc_77aa88bb' },
  },
  {
    text: 'I need a hold placed on the card ending 6060 because of chargebacks',
    tool: 'place_card_hold',
    args: { card: '6060', reason: 'chargebacks' },
  },
  {
    text: 'take the hold off gc_77aa88bb',
    tool: 'release_card_hold',
    args: { card: 'gc_77aa88bb' },
  },
  { text: 'break purchasers into segments', tool: 'segment_purchasers' },
  {
    text: 'how do buyers use their cards, redemption behavior wise',
    tool: 'segment_purchasers',
    args: { by: 'behaviour' },
  },
  {
    text: 'cards with no activity for 200 days',
    tool: 'find_dormant_cards',
    args: { minDays: 200 },
  },
  {
    text: 'list sleeping cards worth more than $30',
    tool: 'find_dormant_cards',
    args: { minBalanceCents: 3000 },
  },
  {
    text: 'what will we have to escheat to California',
    tool: 'escheatment_report',
    args: { jurisdiction: 'US-CA' },
  },
  {
    text: 'unclaimed property due in the next 24 months',
    tool: 'escheatment_report',
    args: { horizonMonths: 24 },
  },
  {
    text: 'which products do customers buy when they redeem',
    tool: 'product_affinity',
    args: { context: 'redeemed_with' },
  },
  {
    text: 'items bought alongside gift card purchases',
    tool: 'product_affinity',
    args: { context: 'bought_alongside' },
  },
  {
    text: 'customer at register with a $95 kitchen basket, should we pitch a gift card?',
    tool: 'recommend_upsell',
    args: { totalCents: 9500 },
  },
  {
    text: 'set up a campaign for cards idle more than 90 days',
    tool: 'draft_campaign',
    args: { audience: { minDaysInactive: 90, minBalanceCents: 500 } },
  },
  { text: 'go ahead and launch campaign 11', tool: 'launch_campaign', args: { campaignId: 11 } },
  { text: 'anything waiting on approval?', tool: 'list_approvals', args: { status: 'pending' } },
  { text: 'show me recent audit records', tool: 'get_audit_log' },
  { text: 'is the audit log intact?', tool: 'get_audit_log', args: { verify: true } },
  { text: 'give me the phone number of whoever holds 4821', tool: null },
  { text: 'wipe the audit log', tool: null },
  { text: 'top up gc_55aa11bb with $10', tool: null },
  { text: 'thanks!', tool: null },
  { text: 'write me a poem', tool: null },
  // The second held-out set (88.6% when first measured), then used to fix the gaps it showed
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
