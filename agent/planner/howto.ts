/**
 * Questions about how the product works rather than about the ledger ("how do I put a hold on a
 * card?", "what does drain after activation mean?", "can I approve my own request?") are
 * answered in words, by rule, like the refusals (docs/planner.md §Policy): no tool is called,
 * and a question that names a card, an alert or an approval is a lookup instead.
 */

/** Whether the (lower-case) request asks how something works rather than for data. */
export function isHowTo(lower: string): boolean {
  const t = lower.trim()
  // A question about one record is a lookup ("how do i check if 6367 is on hold?").
  if (/\bgc_\w+|\b\d{4}\b|\b(?:alert|approval|request|campaign)s?\s*#?\s*\d+|#\d+/.test(t))
    if (!/\bif i (?:put|place|release)\b/.test(t)) return false
  return HOW_TO.some((re) => re.test(t))
}

const HOW_TO: readonly RegExp[] = [
  /^(?:(?:hey|hi|hello|ok|so|quick question)[,!.]?\s+)*(?:[a-z ,.'!]{0,40}[.?!,]\s*)?how (?:do|would|can|should|could) (?:i|we|you|someone|one|a person)\b(?! (?:find out|get|see|know|tell|check|look up|pull|view|work out)\b.{0,40}\b(?:how much|how many|liability|owe|alerts|balance|redemptions|breakage|sales|sold|number|figure|total)s?\b)/,
  /\bwhat (?:does|do|is|are) (?:an? |the )?[a-z0-9 ._'-]{2,50}\b(?:mean|means|stand for)\b/,
  /\bwhat(?:'s| is) the difference between\b/,
  /\b(?:would|does|do|will|is|must)\b.{0,50}\b(?:need|needs|require|requires|take|takes)\b.{0,12}\b(?:a |an |the )?(?:manager|approval|sign[- ]off|second person|supervisor)\b/,
  /\bwho (?:has to|must|needs to|can|gets to|is allowed to|should) (?:sign off|approve|decide)\b|\bwho signs? off\b|\bwho approves\b/,
  /\bcan i (?:approve|sign off on|decide) (?:it|my|this|that|an approval|a request)\b|\b(?:approved|decided) by me\b|\bapprove (?:my|an approval i|a request i)\b.{0,30}\b(?:own|myself|request)\b/,
  /\bif i (?:put|place) a hold\b.{0,60}\b(?:can|will|does|would|could)\b/,
  /\bor can i (?:do it|release it|hold it) myself\b/,
]

/** The answer to a how-to question, by what it is about. */
export function howToAnswer(lower: string): string {
  const t = lower
  if (
    /\b(drain|card[- ]testing|enumeration|bulk|impossible travel|travel|reload|refund abuse|held[- ]card)\b/.test(
      t,
    ) &&
    /\bmean|stand for|what (?:is|are)\b/.test(t)
  )
    return RULES
  if (/\bscore\b/.test(t)) return SCORES
  if (/\b(dismiss\w*|confirm\w*|false positive)\b/.test(t)) return TRIAGE
  if (/\brefund\b/.test(t))
    return "Refunds and balance changes are made at the POS, not here: I can't move money. I can look the card up, or request a hold for a manager's approval."
  if (/\bcampaign/.test(t))
    return 'Ask me to draft one for an audience, e.g. "draft a campaign for cards idle 90+ days with $20+ left, 10% off" (idle days, balance range, segment, state, store, or the cards just listed). A draft changes nothing; launching it files an approval request, and a manager other than you decides it.'
  if (/\bif i (?:put|place) a hold\b|\bstill (?:spend|use|redeem)\b/.test(t))
    return 'While a card is on hold it cannot be redeemed or reloaded, in store or online; its balance is kept and comes back when the hold is released. A hold (and a release) is requested here and takes effect once a manager approves it.'
  if (/\b(find|see|look up|check|get)\b.{0,30}\b(alerts?|fraud)\b/.test(t))
    return 'Ask for them by store, state, rule, score or date, e.g. "open alerts at Brooklyn", "card testing alerts over 0.8 since monday", "alerts by store this month". "explain alert 12" says why one fired.'
  if (
    /\bhow (?:do|would|can|should|could) (?:i|we)\b.{0,20}\b(?:put|place|request|file|get)\b.{0,10}\b(?:a )?hold\b/.test(
      t,
    )
  )
    return HOLDS
  if (/\b(approve|approv|sign(?:s|ed)? off|decide|manager|myself|by me|own)\b/.test(t))
    return 'Holds, releases and campaign launches are filed as approval requests, and a manager other than the person who asked decides each one (the Slack buttons, or `giftcards approvals approve ID` from the manager’s own login). No one approves their own request.'
  if (/\b(hold|freeze|block|release|unfreeze)\b/.test(t)) return HOLDS
  return 'Ask in your own words: a card ("balance on 4821"), a figure ("cards sold last month by store"), alerts ("open alerts at Brooklyn"), or an action ("hold 4821, reported stolen"), which a manager approves.'
}

const HOLDS =
  'Ask me, e.g. "hold 4821, customer reported it stolen" (your reason is kept word for word). That files an approval request, and a manager other than you signs it off; the hold is placed at the POS when it is approved. Releases work the same way ("release 4821, customer verified ID"). "is 4821 on hold?" shows its holds.'
const RULES =
  'The fraud rules: card testing (many small or failed attempts on a card), balance-check enumeration (many balance lookups from one source), drain after activation (a new card spent down within minutes of activation), bulk purchase (many cards bought at once), impossible travel (one card used in places too far apart for the time between), reload and drain (loaded then emptied quickly), refund abuse (refunds to cards out of pattern), held-card redemption (a redemption tried on a card on hold). "explain alert N" shows the evidence for one alert.'
const SCORES =
  'An alert\'s score (0 to 1) is how strongly the evidence matches its rule: above 0.8 is high risk and worth acting on first, 0.5–0.8 worth a look, below 0.5 weak. It is not a probability of fraud; "explain alert N" shows what drove it.'
const TRIAGE =
  'Confirming an alert records it as real fraud (its card then counts in fraud loss and you may want a hold); dismissing records a false positive. Either way your note is kept with the alert and in the audit trail; neither changes the card.'
