/**
 * The requests the planner refuses or redirects are decided by rules, not by the classifier's
 * probabilities (docs/planner.md §Policy): a refusal must be predictable and auditable. A policy
 * intent the classifier proposes without its rule agreeing falls to the next best intent.
 */

const POLICY_RULES: readonly { intent: string; test: RegExp }[] = [
  {
    intent: 'refuse_pii',
    test: /\b(who (owns|bought|holds|is the (holder|owner|purchaser|buyer))|(customer|holder|owner|purchaser|buyer|cardholder)'?s? (real )?(names?|e-?mails?|phones?|numbers?|address(es)?|contacts?|identity|identities|details)|(names?|e-?mails?|phones?( numbers?)?|address(es)?|contact (details|info)|identity|personal (details|info)) (of|for) (the |all |every |our )?(customers?|holders?|owners?|purchasers?|buyers?|cardholders?|person|people|whoever|them|him|her)|(names?|e-?mails?|phone numbers?|addresses)\b.{0,30}\b(of|for) (the |all |every )?(cardholders?|customers?|purchasers?|buyers?)|(export|list|pull|give|send|dump|get)\b.{0,20}\b(cardholder|customer|purchaser|buyer)s?'? (names?|e-?mails?|phones?|address(es)?|contacts?)|who (the )?(purchaser|buyer|owner|holder) (of|was|is)|de-?anonymi[sz]e|unmask|real name|(?:actual |real )?(?:person|human|individual) behind|home address(?:es)?|(?:names?|e-?mails?|phone(?: numbers?)?|address(?:es)?)\s*(?:and|&|\+|,)\s*(?:a |their |his |her )?(?:home |mailing )?(?:names?|e-?mails?|phone(?: numbers?)?|address(?:es)?))\b/,
  },
  {
    intent: 'refuse_contact',
    test: /\b(e-?mail|text|sms|call|phone|message|contact|dm|ping|ring|reach out to|write to|notify)\b.{0,30}\b(the )?(customers?|holders?|owners?|purchasers?|buyers?|cardholders?|guests?|them|him|her|clients?|whoever|everyone|everybody|every(?:one)? (?:with|who)|all (?:the )?(?:people|folks)|people with)\b/,
  },
  {
    intent: 'refuse_delete',
    test: /\b(delete|erase|wipe|drop|purge|destroy|remove|get rid of|scrub|rewrite|edit|alter|truncate)\b.{0,40}\b(record|records|row|rows|entry|entries|log|logs|history|audit|trail|ledger|transactions?|alerts?|card|gc_\w+|it|them|everything)\b/,
  },
  {
    intent: 'refuse_money',
    test: /\b(issue|activate|load|top ?up|reload|add (money|funds|credit|value)|make)\b.{0,40}\b(card|balance|gift card|gc_\w+)s?\b.{0,30}(\$|\d|dollars|bucks|with)|\b(add|put|credit|load|deposit|give|transfer|move)\s+(\$\s?\d[\d.,]*|\d+ (dollars|bucks)|the balance|money|funds)\b|\b(increase|decrease|change|set|adjust|edit|modify|fix|bump|zero out|zero|reset)\b.{0,25}\b(balances?|gc_\w+|card \d{4}|(?!(?:19|20)\d\d\b)\d{4})\b|^(?:please |pls |can you |could you |go ahead and )?(refund|cash ?out|chargeback|reverse|pay back|reimburse)\b(?!s?\s+(?:alerts?|abuse|totals?|amounts?|figures?|counts?|numbers?|by|per|report|rate|trend))(?!\s+(?:this|last) (?:week|month|year|quarter))\b.{0,40}\b(card|customer|balance|redemption|this|it|gc_\w+|\d{4})\b|\b(give|send) (the customer |them |him |her )?(their |the )?money back\b|\bzero out\b|\bissue (?:her |him |them |the customer |a customer |the guest )?(a |an )?(new |replacement |fresh |physical |virtual |\$\d+ |gift )*card\b|\b(knock|take|shave|deduct|subtract|dock)\s+(\$\s?\d[\d.,]*|\d+ (dollars|bucks))\b.{0,15}\b(off|from)\b|\b(make|create) (me )?(a )?(new )?\$\d+ card\b/,
  },
  {
    intent: 'approve_instruction',
    test: /^\s*(?:(?:ok|yes|yeah|yep|sure|fine)[,!]?\s+)?(?:(?:i'?m|i am) (?:the |a )?manager[,.]?\s*)?(?:manager here[,.]?\s*)?(?:please\s+|pls\s+|can you\s+|just\s+)?\/?(approve|reject|deny|decline|green-?light|sign off on)\b(?!\s+(?:rate|rates|count|counts|queue|status|history|log|list))|\bhow (do|does|can|would|should) (i|we|a manager|managers|someone|one) (approve|reject|decide|sign off)\b|\bi (approve|reject)\b|\b(approve|reject|sign off on) (my own|it for me|approval \d+ for me)\b/,
  },
]

const POLICY_INTENTS = new Set(POLICY_RULES.map((r) => r.intent))

/** The policy intent whose rule the request meets, if any (lower-case text). */
export function policyIntent(lower: string): string | undefined {
  // Questions about what happened to an approval are reads, whatever verbs they use.
  if (
    /\b(status of|has|did|was|is)\b.{0,20}\bapproval\b/.test(lower) &&
    !/\bhow (do|does|can)\b/.test(lower)
  )
    return undefined
  return POLICY_RULES.find((r) => r.test.test(lower))?.intent
}

export function isPolicyIntent(intent: string): boolean {
  return POLICY_INTENTS.has(intent)
}
