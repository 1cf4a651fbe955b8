import {
  amountBound,
  cardRef,
  days,
  dollars,
  hashId,
  horizonMonths,
  idAfter,
  inactiveDays,
  jurisdiction,
  location,
  reason,
  visits,
} from './extract.ts'

/** What the planner decided: call a tool, or answer in words (a question, a refusal, help). */
export type Plan =
  | { kind: 'call'; tool: string; args: Record<string, unknown> }
  | { kind: 'reply'; text: string }

/** What earlier turns of the conversation make "it" and "that card" mean. */
export type Recall = {
  card?: string
  alertId?: number
  approvalId?: number
  campaignId?: number
  tool?: string
  args?: Record<string, unknown>
}

export const HELP = [
  'I can look up balances (by card id or last 4 digits), report liability by state or store, forecast breakage,',
  'list, scan and explain fraud alerts, segment purchasers, find dormant cards, report escheatment,',
  'show product affinities, recommend an upsell, draft campaigns and read the audit log and approvals.',
  'Holds, releases and campaign launches go to a manager for approval.',
].join(' ')

const CATEGORIES = [
  'apparel',
  'footwear',
  'beauty',
  'home',
  'kitchen',
  'electronics',
  'toys',
  'books',
  'grocery',
  'cafe',
  'stationery',
  'seasonal',
]

const REFERS_BACK =
  /\b(it|its|it's|that card|this card|the card|same card|that one|this one|them|the same)\b/i

const call = (tool: string, args: Record<string, unknown>): Plan => ({
  kind: 'call',
  tool,
  args: clean(args),
})
const reply = (text: string): Plan => ({ kind: 'reply', text })

function clean(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined))
}

/** The card a request means: named in it, or the one the conversation was about. */
function card(text: string, recall: Recall): string | undefined {
  return (
    cardRef(text) ?? (REFERS_BACK.test(text) || !/\bcards?\b/i.test(text) ? recall.card : undefined)
  )
}

function alertId(text: string, recall: Recall): number | undefined {
  return (
    idAfter(text, 'alert') ??
    (/\balert\b/i.test(text) ? hashId(text) : undefined) ??
    (REFERS_BACK.test(text) || /\b(that|this|the) alert\b/i.test(text) ? recall.alertId : undefined)
  )
}

function liabilityGroup(t: string): string | undefined {
  if (/\bby (state|jurisdiction)|per state|each state|state by state|by region/.test(t))
    return 'jurisdiction'
  if (
    /\bby (store|location|shop|branch)|per (store|location)|each (store|location)|store by store/.test(
      t,
    )
  )
    return 'location'
  if (/\bby (cohort|issue month|month issued|vintage)|cohort/.test(t)) return 'cohort'
  if (/\bby occasion|per occasion/.test(t)) return 'occasion'
  if (/\bby channel|per channel|online (vs|versus) in[- ]store/.test(t)) return 'channel'
  return undefined
}

function isoDay(text: string): string | undefined {
  return /\b(\d{4}-\d{2}-\d{2})\b/.exec(text)?.[1]
}

type Rule = { test: RegExp; plan(text: string, t: string, recall: Recall): Plan }

/**
 * The rules, most specific first: what cannot be done, then the writes (which must not be
 * mistaken for reads), then each read. Only the person's own words are read here; tool results
 * never are, so text hidden in data cannot steer the planner.
 */
const RULES: Rule[] = [
  {
    test: /\b(who (owns|bought|holds|is the (holder|owner|purchaser))|(customer|holder|owner|purchaser)'?s? (name|e-?mail|phone|address|contact)|(name|e-?mail|phone( number)?|address|contact details?) of (the )?(customer|holder|owner|purchaser|person|whoever))\b/,
    plan: () =>
      reply(
        "I can't share names, emails or phone numbers: customers appear here only as pseudonyms (cust_…). Look the person up in the POS if you are entitled to.",
      ),
  },
  {
    test: /\b(delete|erase|wipe|drop|purge|destroy)\b/,
    plan: () =>
      reply(`I can't delete anything: the ledger and the audit trail are append-only. ${HELP}`),
  },
  {
    test: /\b(issue|activate|load|top ?up|reload|add (money|funds|credit|value))\b.{0,40}\b(card|balance|gift card|gc_\w+)s?\b|\b(increase|decrease|change|set|adjust|edit|modify)\b.{0,20}\bbalances?\b|\btop ?up\b.{0,30}\$\d/,
    plan: () =>
      reply(
        "I can't issue, load or change the balance of a card: money moves only through the POS. I can look cards up, and request a hold or a release for a manager's approval.",
      ),
  },
  {
    test: /\b(add|put|credit|load|deposit|give)\s+\$\s?\d[\d.,]*\s+(to|on|onto|into)\b/,
    plan: () =>
      reply(
        "I can't put money on a card: loads happen at the POS. I can look the card up, or request a hold or a release for a manager's approval.",
      ),
  },
  {
    test: /^\s*who (approved|placed|released|requested|decided|rejected|did|ran|called|launched)\b/,
    plan: (text, t) =>
      call('get_audit_log', {
        actor: /\b((?:slack|mcp|cli|http|agent):[\w.@-]+)/i.exec(text)?.[1],
        approvalId: idAfter(text, 'approval'),
        tool: /hold/.test(t)
          ? /release/.test(t)
            ? 'release_card_hold'
            : 'place_card_hold'
          : /campaign/.test(t)
            ? 'launch_campaign'
            : undefined,
      }),
  },
  {
    test: /^\s*(launch|send|ship|go live with|fire off)\s+(it|that|this)\b/,
    plan: (_text, _t, recall) =>
      recall.campaignId !== undefined
        ? call('launch_campaign', { campaignId: recall.campaignId })
        : reply(
            'Which campaign? Draft one first ("draft a campaign for dormant cards") and give me its number.',
          ),
  },
  {
    test: /\b(refund|cash out|chargeback)\b.{0,30}\b(card|customer|this|it|gc_)/,
    plan: () =>
      reply(
        "I can't refund or cash out cards: that is done at the POS. I can look the card up or request a hold.",
      ),
  },
  {
    test: /\b(e-?mail|text|sms|call|phone|message|contact)\b.{0,20}\b(the )?(customer|holder|owner|purchaser|them|him|her)\b/,
    plan: () =>
      reply(
        "I can't contact customers directly. I can draft a campaign to dormant card holders; launching it needs a manager's approval and hands the audience (pseudonyms only) to your messaging platform.",
      ),
  },
  {
    test: /^\s*\/?(approve|reject|deny|decline)\b|\b(approve|reject) (approval|request)\b/,
    plan: (text) => {
      const id = idAfter(text, 'approval|request') ?? hashId(text) ?? /\b(\d+)\b/.exec(text)?.[1]
      return reply(
        `Approvals are decided by a manager other than the requester: with the buttons on the approval card in Slack, or \`giftcards approvals approve ${id ?? 'ID'} --as <manager>\` (in the terminal chat: /approve ${id ?? 'ID'}).`,
      )
    },
  },
  {
    test: /\b(dismiss|confirm|close|resolve|mark|triage|clear)\b.{0,40}\balerts?\b|\balerts?\b.{0,40}\b(false positive|not fraud|is fraud|as fraud|confirmed|real fraud|legit(imate)?|benign)\b/,
    plan: (text, t, recall) => {
      const id = alertId(text, recall)
      if (id === undefined) return reply('Which alert? Give its number, e.g. "dismiss alert 12".')
      const dismiss =
        /dismiss|false positive|not fraud|legit|benign|close|clear|resolve/.test(t) &&
        !/\bconfirm|is fraud|as fraud|real fraud/.test(t)
      return call('update_fraud_alert', {
        alertId: id,
        status: dismiss ? 'dismissed' : 'confirmed',
        note: reason(text),
      })
    },
  },
  {
    test: /\b(list|show|which|how many|find|any|what|are there)\b.{0,40}\b(on hold|held|frozen|blocked)\b/,
    plan: (text) => call('search_gift_cards', { status: 'held', location: location(text) }),
  },
  {
    test: /\b(release|lift|remove|unfreeze|unblock|unhold|undo|end|cancel|take off|drop)\b.{0,40}\b(hold|freeze|block)\b|\b(take|get|lift)\b.{0,12}\b(hold|freeze|block)\b.{0,6}\boff\b|\b(unfreeze|unblock|unhold)\b|\brelease\b.{0,30}\b(card|gc_\w+|it|that)\b/,
    plan: (text, _t, recall) => {
      if (/\ball\b.{0,10}\b(holds|cards)\b/i.test(text))
        return reply('I release holds one card at a time, each with its own approval. Which card?')
      const c = card(text, recall)
      if (!c) return reply('Which card should be released? Give its id or last 4 digits.')
      return call('release_card_hold', {
        card: c,
        reason: reason(text) ?? 'hold reviewed and cleared',
      })
    },
  },
  {
    test: /\b(hold|freeze|block|suspend|lock down|lock)\b/,
    plan: (text, _t, recall) => {
      const c = card(text, recall)
      const alert = idAfter(text, 'alert')
      if (!c && alert === undefined)
        return reply('Which card should be held? Give its id or last 4 digits.')
      const why =
        reason(text) ??
        (alert !== undefined ? `fraud alert #${alert}` : 'suspected fraud, requested in chat')
      return call('place_card_hold', { card: c, alertId: c ? undefined : alert, reason: why })
    },
  },
  {
    test: /\b(launch|send|start|kick off|go live|fire|run|execute|push|ship|release)\b.{0,40}\bcampaign\b|\bcampaign\b.{0,20}\b(live|launch)/,
    plan: (text, _t, recall) => {
      const id =
        idAfter(text, 'campaign') ??
        hashId(text) ??
        (/\b(it|that|this|the)\b/.test(text) ? recall.campaignId : undefined)
      if (id === undefined)
        return reply(
          'Which campaign? Draft one first ("draft a campaign for dormant cards") and give me its number.',
        )
      return call('launch_campaign', { campaignId: id })
    },
  },
  {
    test: /\b(draft|create|design|plan|prepare|build|set up|write|make|propose|new)\b.{0,40}\b(campaign|outreach|win-?back|reactivation|promo(tion)?|email blast|nudge)\b|\b(campaign|win-?back|outreach)\b.{0,40}\b(dormant|inactive|idle|reactivat|lapsed)/,
    plan: (text, t) => {
      const min = amountBound(text, 'min')
      const max = amountBound(text, 'max')
      const offer =
        /offer(?:ing)?\s+(.+?)(?:\.|,|$)/i.exec(text)?.[1] ?? /(\d+%\s*off[^.,]*)/i.exec(text)?.[1]
      return call('draft_campaign', {
        audience: clean({
          minDaysInactive: inactiveDays(text) ?? 90,
          minBalanceCents: min ?? 500,
          maxBalanceCents: max,
        }),
        offer,
        name: /holiday/.test(t) ? 'Holiday reactivation' : undefined,
      })
    },
  },
  {
    test: /\b(explain|why|walk me through|go through|unpack|look into|what (triggered|caused|set off|fired)|reason for|details? (of|on|for|about)|evidence|tell me (more )?about|what happened (with|on)|break ?down)\b.{0,40}\b(alert|flag|flagged|fraud)\b|\bwhy\b.{0,40}\b(flag|suspicious)/,
    plan: (text, _t, recall) => {
      const id = idAfter(text, 'alert') ?? (/\balert\b/i.test(text) ? hashId(text) : undefined)
      if (id !== undefined) return call('explain_fraud_alert', { alertId: id })
      const c = cardRef(text)
      if (c) return call('explain_fraud_alert', { card: c })
      if (recall.alertId !== undefined)
        return call('explain_fraud_alert', { alertId: recall.alertId })
      if (recall.card) return call('explain_fraud_alert', { card: recall.card })
      return reply('Which alert? Give its number or the card, e.g. "explain alert 12".')
    },
  },
  {
    test: /^\s*(explain|why|tell me more|more (details|detail|on)|details|what happened|break (it|that) down|dig into)\b/,
    plan: (text, t, recall) => {
      const c = cardRef(text)
      if (c && !/alert|flag|fraud|suspicious/.test(t)) return call('get_gift_card', { card: c })
      if (c) return call('explain_fraud_alert', { card: c })
      if (recall.alertId !== undefined)
        return call('explain_fraud_alert', { alertId: recall.alertId })
      if (recall.card) return call('explain_fraud_alert', { card: recall.card })
      return reply('Which alert? Give its number or the card, e.g. "explain alert 12".')
    },
  },
  {
    test: /\b(scan|sweep|run (the )?(fraud )?(detect|detection|detectors|check|rules)|check for fraud|look for fraud|detect fraud|hunt for fraud|fraud (scan|check|sweep|run)|re-?run fraud|search for fraud)/,
    plan: (text) => call('scan_for_fraud', { days: days(text) ?? 30, location: location(text) }),
  },
  {
    test: /\b(fraud|alerts?|suspicious|flagged|anomal(y|ies|ous)|red flags?|loss prevention queue|enumeration|card testing|drain(ed|ing)?)\b/,
    plan: (text, t) => {
      const status = /\bconfirm(ed)?\b/.test(t)
        ? 'confirmed'
        : /\bdismiss(ed)?\b/.test(t)
          ? 'dismissed'
          : 'open'
      const rule = /drain after activation|drained after activation/.test(t)
        ? 'drain_after_activation'
        : /enumerat|balance[- ]check/.test(t)
          ? 'balance_check_enumeration'
          : /bulk/.test(t)
            ? 'bulk_purchase'
            : /impossible travel|travel/.test(t)
              ? 'impossible_travel'
              : /reload/.test(t)
                ? 'reload_and_drain'
                : /refund/.test(t)
                  ? 'refund_abuse'
                  : /held card|on hold/.test(t)
                    ? 'held_card_redemption'
                    : undefined
      const minScore = /high[- ](risk|score|severity|confidence)|critical|severe/.test(t)
        ? 0.8
        : undefined
      return call('list_fraud_alerts', {
        status,
        rule,
        days: days(text),
        location: location(text),
        minScore,
      })
    },
  },
  {
    test: /\baudit\b|who (approved|called|did|ran|requested|decided|placed|released)|activity log|tamper|hash chain|audit trail|\btrail\b/,
    plan: (text, t) =>
      call('get_audit_log', {
        actor: /\b((?:slack|mcp|cli|http|agent):[\w.@-]+)/i.exec(text)?.[1],
        approvalId: idAfter(text, 'approval'),
        tool: /\b(place_card_hold|release_card_hold|launch_campaign|update_fraud_alert|get_gift_card|[a-z]+_[a-z_]+)\b/.exec(
          text,
        )?.[1],
        days: days(text),
        verify: /verify|tamper|intact|chain|integrity|check the (log|trail)|untampered/.test(t),
      }),
  },
  {
    test: /\bapprovals?\b|\brequests?\b.{0,20}\b(rejected|approved|denied|executed|expired|pending|failed)\b|\bpending (requests?|holds?|releases?|launches)\b|awaiting (approval|a manager)|waiting (for|on) (a |the )?manager|requests? (i|we) (made|filed)|sign-?off/,
    plan: (text, t) => {
      const id = idAfter(text, 'approval|request')
      if (id !== undefined) return call('list_approvals', { approvalId: id })
      const status = /pending|waiting|awaiting|open|outstanding|undecided/.test(t)
        ? 'pending'
        : /executed|done|carried out/.test(t)
          ? 'executed'
          : /rejected|denied/.test(t)
            ? 'rejected'
            : /expired/.test(t)
              ? 'expired'
              : /failed/.test(t)
                ? 'failed'
                : undefined
      return call('list_approvals', { status })
    },
  },
  {
    test: /escheat|unclaimed|abandoned property|turn (over|in) to the state|remit to the state|report(ed)? to the state|dormancy deadline|state claims?/,
    plan: (text) =>
      call('escheatment_report', {
        jurisdiction: jurisdiction(text),
        horizonMonths: horizonMonths(text) ?? 6,
      }),
  },
  {
    test: /breakage|forecast|project(ed|ion|ions)?\b|predict|run-?off|never (be )?(redeemed|used|spent)|asc ?606|expected redemptions|recogni[sz]e|outlook|burn-?down/,
    plan: (text) => {
      const asOf =
        /\bas of\s+(\d{4}-\d{2}(?:-\d{2})?)/i.exec(text)?.[1] ??
        /\bfrom\s+(\d{4}-\d{2}(?:-\d{2})?)/i.exec(text)?.[1]
      return call('forecast_breakage', { horizonMonths: horizonMonths(text) ?? 12, asOf })
    },
  },
  {
    test: /liabilit|outstanding|\bowe\b|unredeemed|deferred revenue|total (balance|value|float)|\bfloat\b|on the books|still on (the )?cards|how much (is|money is) (left|sitting)|(left|remaining) on (all|our|the) cards/,
    plan: (text, t, recall) => {
      if (cardRef(text) && !/liabilit|outstanding|owe|deferred/.test(t))
        return call('get_gift_card', { card: card(text, recall) })
      const j = jurisdiction(text)
      const l = location(text)
      return call('get_liability', {
        groupBy: liabilityGroup(t) ?? 'total',
        jurisdiction: j,
        location: j ? undefined : l,
        asOf: isoDay(text),
      })
    },
  },
  {
    test: /dormant|inactive|\bidle\b|sleeping|unused|(nobody|no one) (has )?(used|touched|redeemed)|haven'?t been (used|touched|redeemed)|not been (used|touched|redeemed)|no activity|forgotten|lapsed|stale cards|untouched/,
    plan: (text) =>
      call('find_dormant_cards', {
        minDays: inactiveDays(text) ?? days(text) ?? 90,
        minBalanceCents: amountBound(text, 'min'),
      }),
  },
  {
    test: /segment|persona|purchaser (types|groups|profiles|mix)|who (buys|purchases)|kinds? of (buyers|purchasers|customers)|buyer (types|groups|profiles)|customer (groups|types|segments)|gifters|corporate (buyers|purchasers)|bulk buyers|redemption behaviou?r|self-use/,
    plan: (_text, t) =>
      call('segment_purchasers', {
        by:
          /behaviou?r|redemption|how .* (use|redeem|spend)/.test(t) && !/occasion|why/.test(t)
            ? 'behaviour'
            : /occasion|why .* buy|holiday|corporate|birthday/.test(t) && !/behaviou?r/.test(t)
              ? 'occasion'
              : 'both',
      }),
  },
  {
    test: /upsell|offer (a|them a) gift card|suggest (a )?gift card|prompt the (customer|cashier)|should (we|the cashier|i|they) (offer|suggest|pitch|recommend)|at (the )?checkout|add(-| )on gift card|add a gift card|basket of|recommend a gift card/,
    plan: (text, t) => {
      const total = dollars(text) ?? 5000
      const category =
        CATEGORIES.find((c) => new RegExp(`\\b${c}`).test(t)) ??
        (/home goods|homeware|furniture|decor/.test(t) ? 'home' : undefined)
      return call('recommend_upsell', {
        totalCents: total,
        items: category ? [{ sku: `${category}-basket`, category, amountCents: total }] : [],
        priorVisits: visits(text) ?? 0,
      })
    },
  },
  {
    test: /affinit|bought (with|alongside|together)|buy(ing)? (with|alongside)|purchased (with|alongside|together)|spend (their )?gift cards on|spent on|what (do|did) (people|customers|recipients|shoppers) (buy|purchase|get)|categor(y|ies)|basket analysis|cross-?sell|product mix|which products|what products|top (products|skus)|\bskus?\b/,
    plan: (_text, t) =>
      call('product_affinity', {
        context:
          /alongside|with (a )?gift card purchases?|when (they )?buy(ing)? (a )?gift card|bought together|purchased together|buy(ing)? gift cards/.test(
            t,
          ) && !/redeem|spend|spent/.test(t)
            ? 'bought_alongside'
            : 'redeemed_with',
        level: /\bskus?\b|products?\b|items?\b/.test(t) && !/categor/.test(t) ? 'sku' : 'category',
      }),
  },
  {
    test: /\b(find|search|list|show|which|how many|get me|pull|all cards)\b.{0,40}\bcards?\b|^\s*(gift )?cards? (over|above|under|below|with|worth|issued|from|in|at)\b/,
    plan: (text, t) => {
      const status = /\bheld\b|on hold/.test(t)
        ? 'held'
        : /\bredeemed\b|empty|zero balance/.test(t)
          ? 'redeemed'
          : /deactivated/.test(t)
            ? 'deactivated'
            : /\bactive\b/.test(t)
              ? 'active'
              : undefined
      return call('search_gift_cards', {
        last4: /(?:ending|ends)\s+(?:in|with)\s+(\d{4})/i.exec(text)?.[1],
        status,
        location: location(text),
        jurisdiction: jurisdiction(text),
        minBalanceCents: amountBound(text, 'min'),
        maxBalanceCents: amountBound(text, 'max'),
        inactiveDays: inactiveDays(text),
      })
    },
  },
  {
    test: /balance|look ?up|lookup|status|check|what'?s on|how much (is )?(left|on)|details|info|history|transactions|remaining|\bgc_|card (number|ending)|ending in|last (4|four)/,
    plan: (text, _t, recall) => {
      const c = card(text, recall)
      if (!c) return reply('Which card? Give its id (gc_…) or the last 4 digits of its number.')
      return call('get_gift_card', {
        card: c,
        transactions: /history|transactions|activity/.test(text.toLowerCase()) ? 10 : undefined,
      })
    },
  },
]

/** Follow-ups that only change an argument: "and Texas?", "what about the next 6 months?". */
function followUp(text: string, recall: Recall): Plan | undefined {
  if (!recall.tool || !recall.args) return undefined
  const j = jurisdiction(text)
  const l = location(text)
  const h = horizonMonths(text)
  const d = days(text)
  const c = cardRef(text)
  const changes: Record<string, unknown> = {}
  if (j && ['get_liability', 'escheatment_report', 'search_gift_cards'].includes(recall.tool))
    changes.jurisdiction = j
  if (
    l &&
    ['get_liability', 'list_fraud_alerts', 'scan_for_fraud', 'search_gift_cards'].includes(
      recall.tool,
    )
  )
    changes.location = l
  if (h && ['forecast_breakage', 'escheatment_report'].includes(recall.tool))
    changes.horizonMonths = h
  if (d && ['list_fraud_alerts', 'scan_for_fraud', 'get_audit_log'].includes(recall.tool))
    changes.days = d
  if (c && ['get_gift_card', 'explain_fraud_alert'].includes(recall.tool)) changes.card = c
  if (Object.keys(changes).length === 0) return undefined
  const args = { ...recall.args, ...changes }
  if (changes.jurisdiction) delete args.location
  return call(recall.tool, args)
}

/** Turns one request into a tool call or a reply. */
export function planRequest(text: string, recall: Recall = {}): Plan {
  const trimmed = text.trim()
  const t = trimmed.toLowerCase()
  if (trimmed === '' || /^(hi|hello|hey|help|\?|what can you do|who are you)\b[\s!?.]*$/.test(t))
    return reply(HELP)
  if (/^(thanks|thank you|ok|okay|great|cool|got it)\b[\s!.]*$/.test(t))
    return reply('Anything else?')
  const short =
    trimmed.split(/\s+/).length <= 6 &&
    /^(and|what about|how about|same for|now|also|ok,? and)\b/.test(t)
  if (short) {
    const f = followUp(trimmed, recall)
    if (f) return f
  }
  for (const rule of RULES) if (rule.test.test(t)) return rule.plan(trimmed, t, recall)
  const f = followUp(trimmed, recall)
  if (f) return f
  if (cardRef(trimmed)) return call('get_gift_card', { card: cardRef(trimmed) })
  return reply(`I'm not sure what you need. ${HELP}`)
}
