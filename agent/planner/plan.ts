import { monthBefore } from '../../core/index.ts'
import {
  draftCampaign,
  escheatmentReport,
  explainFraudAlert,
  findDormantCards,
  forecastBreakage,
  getAuditLog,
  getFraudCase,
  getGiftCard,
  getLiability,
  launchCampaign,
  ledgerMetrics,
  listApprovals,
  listCampaigns,
  listCardHolds,
  listFraudAlerts,
  placeCardHold,
  postJournalEntries,
  prepareJournalEntries,
  productAffinity,
  recommendUpsell,
  reconcileLedger,
  releaseCardHold,
  scanForFraud,
  searchGiftCards,
  segmentPurchasers,
  updateFraudAlert,
} from '../../tools/index.ts'
import type { ToolResult } from './answer.ts'
import {
  defaultClassifier,
  type Intent,
  type IntentClassifier,
  REPLY_INTENTS,
} from './classifier.ts'
import {
  addDays,
  type Calendar,
  type DateSlot,
  localDay,
  MONTHS,
  monthNumber,
  readDates,
  resolveQuarter,
  windowDays,
} from './dates.ts'
import { howToAnswer, isHowTo } from './howto.ts'
import { isPolicyIntent, policyIntent } from './policy.ts'
import { readSlots, type Slot, type WordGroup } from './slots.ts'
import { type Corrected, correctText, DOMAIN_WORDS, domainWord } from './text.ts'
import { calendarOf, EMPTY_VOCABULARY, type Vocabulary } from './vocabulary.ts'

/**
 * The offline planner's decisions (docs/planner.md): which tool a request needs (the trained
 * classifier), with which arguments (the slots it states), and what it could not apply (named
 * in the reply). A question never plans a write; an id in the message beats one remembered.
 */

export type Call = { tool: string; args: Record<string, unknown> }

/** A step that needs an earlier step's results ("hold the card from the top alert"). */
export type FollowUpStep = {
  /** The tools the second step may call. */
  tools: string[]
  /** The calls to make from the first step's results, or words when there is nothing to do. */
  derive(results: readonly ToolResult[]): Call[] | string
}

export type Plan =
  | { kind: 'reply'; text: string; intent: string }
  | {
      kind: 'call'
      tool: string
      args: Record<string, unknown>
      /** Calls made beside the first, in the same step (a request that asks for several things). */
      also: Call[]
      followUp?: FollowUpStep
      /** What the request said that the calls do not apply: quoted in the reply, as written. */
      notes: string[]
      /** The planner's own sentences about what it did instead ("I used US-TX"). */
      remarks: string[]
      intent: string
      confidence: number
    }

/** What earlier turns of the conversation make "it", "those" and "the top one" mean. */
export type Recall = {
  card?: string
  alertId?: number
  approvalId?: number
  campaignId?: number
  tool?: string
  args?: Record<string, unknown>
  /** The cards the last answer listed, in its order. */
  cards?: string[]
  /** The alerts the last answer listed, in its order (with their cards). */
  alerts?: { alertId: number; cardId: string }[]
  /** The approvals and campaigns the last answers listed, in their order. */
  approvals?: number[]
  campaigns?: number[]
  /** The store or state the thread's last call was about ("there", "that store"). */
  place?: { location?: string; jurisdiction?: string }
  /** The first store of the last table by store ("the top store"). */
  topStore?: string
  /** The person's previous message, for "do it" after "should we hold it?". */
  lastAsk?: string
}

/** "the first one", "the second", "the top one", "the newest one": which listed item (0-based). */
export function ordinalIndex(text: string): number | undefined {
  const m =
    /\b(?:the\s+)?(first|1st|top|highest|biggest|riskiest|worst|newest|latest|most recent|second|2nd|third|3rd|fourth|4th|fifth|5th|last|bottom|lowest)(?:[\s-]+(?:scoring|scored|risk|value))?\s+(?:one|alert|card|campaign|approval|request|item|row|hit|result)\b|^\s*(?:and\s+)?(?:the\s+)?(first|second|third|top|last)\s*[?.!]*\s*$/i.exec(
      text,
    )
  if (!m) return undefined
  const word = ((m[1] ?? m[2]) as string).toLowerCase()
  const at: Record<string, number> = {
    second: 1,
    '2nd': 1,
    third: 2,
    '3rd': 2,
    fourth: 3,
    '4th': 3,
    fifth: 4,
    '5th': 4,
    last: -1,
    bottom: -1,
    lowest: -1,
  }
  return at[word] ?? 0
}

/** The item at an ordinal of a list ("the last one": its end). */
function nth<T>(list: readonly T[] | undefined, index: number | undefined): T | undefined {
  if (!list?.length || index === undefined) return undefined
  return index < 0 ? list[list.length + index] : list[index]
}

export type PlannerContext = { classifier: IntentClassifier; vocabulary: Vocabulary }

export const HELP = [
  'I can look up balances (by card id or last 4 digits), report liability by state or store, forecast breakage,',
  'give everyday metrics (cards sold, loads, redemptions, fraud loss…) by day, month, store or state,',
  'list, scan and explain fraud alerts, list holds and campaigns, segment purchasers, find dormant cards,',
  'report escheatment, show product affinities, recommend an upsell, draft campaigns and read the audit log and approvals.',
  'Holds, releases and campaign launches go to a manager for approval.',
].join(' ')

const REPLIES: Record<string, string> = {
  help: HELP,
  refuse_pii:
    "I can't share names, emails or phone numbers: customers appear here only as pseudonyms (cust_…). Look the person up in the POS if you are entitled to.",
  refuse_delete:
    "I can't delete or rewrite anything: the ledger and the audit trail are append-only. I can look records up, or request a hold or a release for a manager's approval.",
  refuse_money:
    "I can't issue, load, refund or change the balance of a card: money moves only through the POS. I can look cards up, and request a hold or a release for a manager's approval.",
  refuse_contact:
    "I can't contact customers directly. I can draft a campaign for an audience; launching it needs a manager's approval and hands the audience (pseudonyms only) to your messaging platform.",
}

const REPLY_INTENT_SET = new Set<string>(REPLY_INTENTS)
/** Everyday words that show a request is about the ledger, beside the domain words. */
const LEDGER_NOUNS = new Set([
  'card',
  'cards',
  'hold',
  'giftcard',
  'giftcards',
  'manager',
  'managers',
  'customer',
  'customers',
  'waiting',
  'approve',
  'gift',
  'balance',
  'store',
  'stores',
  'alert',
  'flagged',
  'fraud',
  'owe',
  'sold',
  'sell',
  'spent',
  'spend',
  'redeem',
  'loaded',
  'queue',
  'help',
])

/** Domain words too common to show that a request is about the ledger. */
const GENERIC_WORDS = new Set([
  'week',
  'weeks',
  'weekly',
  'month',
  'months',
  'monthly',
  'daily',
  'quarter',
  'quarterly',
  'before',
  'after',
  'since',
  'between',
  'today',
  'yesterday',
  'active',
  'state',
  'states',
])

/**
 * The month a journal closes, `YYYY-MM`: one written so (`2026-10`), or named (`november`,
 * `nov 2026`: the latest such month that has ended), else last month (`last month` too).
 */
export function closedMonth(text: string, calendar: Calendar): string {
  const iso = /\b(\d{4})-(0[1-9]|1[0-2])\b/.exec(text)
  if (iso) return `${iso[1]}-${iso[2]}`
  const today = localDay(calendar.now, calendar.timezone)
  const year = Number(today.slice(0, 4))
  const current = Number(today.slice(5, 7))
  const named = new RegExp(`\\b(${MONTHS.join('|')})[a-z]*\\.?(?:\\s+(\\d{4}))?\\b`).exec(text)
  const key = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}`
  if (named && !/\bmay i\b/.test(text)) {
    const month = monthNumber(named[1] ?? '')
    if (named[2]) return key(Number(named[2]), month)
    return key(month < current ? year : year - 1, month)
  }
  return monthBefore(today)
}

/** Below this the planner asks which of its two best guesses was meant. */
export const CONFIDENCE_FLOOR = 0.3

/** The tools that file an approval request: planned only from an order, never a question. */
export const WRITE_TOOLS: ReadonlySet<string> = new Set<string>([
  placeCardHold.name,
  releaseCardHold.name,
  launchCampaign.name,
  postJournalEntries.name,
])
const WRITES = WRITE_TOOLS

const TOOL_WORDS: Record<string, string> = {
  get_gift_card: 'look up a card',
  search_gift_cards: 'search cards',
  get_liability: 'report liability',
  forecast_breakage: 'forecast breakage',
  list_fraud_alerts: 'list fraud alerts',
  scan_for_fraud: 'run a fraud scan',
  explain_fraud_alert: 'explain a fraud alert',
  get_fraud_case: 'pull the case file of an alert',
  update_fraud_alert: 'confirm or dismiss an alert',
  segment_purchasers: 'segment purchasers',
  find_dormant_cards: 'find dormant cards',
  escheatment_report: 'report escheatment',
  product_affinity: 'show product affinity',
  recommend_upsell: 'recommend an upsell',
  draft_campaign: 'draft a campaign',
  get_audit_log: 'read the audit log',
  list_approvals: 'list approvals',
  place_card_hold: 'request a card hold',
  release_card_hold: 'request a hold release',
  launch_campaign: 'request a campaign launch',
  list_card_holds: 'list card holds',
  list_campaigns: 'list campaigns',
  ledger_metrics: 'report a ledger metric',
  reconcile_ledger: 'reconcile the ledger',
  prepare_journal_entries: 'prepare the journal entries',
  post_journal_entries: 'request the journal entries be posted',
  smalltalk: 'chat',
  help: 'explain what I can do',
  refuse_pii: 'share customer details',
  refuse_delete: 'delete records',
  refuse_money: 'move money on a card',
  refuse_contact: 'contact a customer',
  approve_instruction: 'explain how approvals are decided',
  howto: 'explain how something works',
}

const reply = (text: string, intent: string): Plan => ({ kind: 'reply', text, intent })

/** A request that asks rather than tells: it may read, never write. */
export function isQuestion(text: string): boolean {
  const t = withoutInterjection(text.trim().toLowerCase())
  // "do you mind putting a hold on 4821?" asks for the hold, politely.
  if (MIND.test(t) && WRITE_ORDER.test(withoutMind(t))) return false
  if (
    /^(can|could|would|will)\s+(you|u|ya|we|someone|somebody)\b|^(please|pls|plz|kindly)\b|\b(please|pls|plz)\b[^?]*\?$/.test(
      t,
    )
  )
    return /^(can|could|would) (we|someone|somebody) (still )?(see|tell|know|check)\b/.test(t)
  if (
    /^(is|are|was|were|do|does|did|has|have|had|why|who|whom|whose|when|what|which|where|how|should|shall|any|anything|isn'?t|aren'?t|didn'?t|has anyone|did anyone)\b/.test(
      t,
    )
  )
    return true
  return (
    /\?\s*$/.test(t) &&
    !/^(hold|freeze|block|release|unfreeze|lift|launch|dismiss|confirm|mark|put|place|lock)\b/.test(
      t,
    )
  )
}

/**
 * How an order to act opens: a verb of acting with what it acts on ("put … on hold", "take the
 * hold off", "launch campaign 3"), never a bare "put", "take" or "send".
 */
const WRITE_ORDER =
  /^(?:(?:hold|freeze|block|lock(?: down)?|suspend|unfreeze|unblock|unlock|unhold|release|lift|dismiss|confirm|mark|close(?: out)?|clear|resolve|triage|void|reactivate)\b|(?:put|place|slap)\b.{0,40}\b(?:hold|freeze|block|stop|ice|lock)\b|(?:take|get)\b.{0,30}\b(?:hold|freeze|block)\b.{0,12}\boff\b|(?:remove|cancel|end|drop)\b.{0,15}\b(?:hold|freeze|block)\b|(?:launch|send|ship|start|kick off|go live with|fire off|push|roll out|deploy|blast out)\b.{0,30}\bcampaign\b|(?:launch|ship|go live with|fire off|roll out|deploy|blast out)\s+(?:it|that|this)\b|(?:send|submit|put|file)\s+(?:it|that|this|the campaign|campaign \S+)\s+(?:up\s+)?for\s+(?:launch|approval|sign-?off))/

/**
 * A request that tells the agent to act: it opens with a verb of acting (after a greeting, a
 * "please", a "can you" or an "I need you to"). Only such a request may plan a write.
 */
/** A polite order whose verb follows as "-ing": "would you mind holding…", "mind freezing…". */
const MIND =
  /^(?:(?:ok|okay|hey|hi|so|also|and|pls|please|sorry)[,:!.-]?\s+)*(?:would|do|could)?\s*(?:you|u|ya)?\s*mind\s+(?:(?:just|quickly|also)\s+)?/

/** "would you mind holding 4834" read as "hold 4834": the verb after "mind" is the order. */
function withoutMind(t: string): string {
  const m = MIND.exec(t)
  if (!m) return t
  return t
    .slice(m[0].length)
    .replace(/^([a-z]+?)ing\b/, (_w, base: string) =>
      WRITE_ORDER.test(base)
        ? base
        : WRITE_ORDER.test(`${base}e`)
          ? `${base}e`
          : base.replace(/(.)\1$/, '$1'),
    )
}

export function isImperative(text: string): boolean {
  // Any clause may carry the order: "alert 9 is a false positive, dismiss it".
  return text
    .split(/\s*(?:[,;:]|\s[-–—]+\s|\.\s|\band\b|\bso\b|\bthen\b)\s*/i)
    .some((clause) => clause.trim() !== '' && opensWithOrder(clause))
}

/** "hold on, …", "hang on", "wait": a pause, not an order. */
function withoutInterjection(t: string): string {
  return t.replace(
    /^(?:(?:hold on|hang on|wait|one sec(?:ond)?|sec|hmm+|um+|uh+|ok so|so|btw|oh)\b[\s,.!:;—–-]*)+/,
    '',
  )
}

function opensWithOrder(text: string): boolean {
  const t = withoutInterjection(text.trim().toLowerCase())
  // A clause that asks ("hold 4821?") is a question, unless it is a polite request.
  if (
    /\?\s*$/.test(t) &&
    !/^(?:(?:ok|pls|please)[,\s]+)*(can|could|would|will)\s+(you|u|ya|someone)\b|^(please|pls|plz)\b/.test(
      t,
    )
  )
    return false
  const lead =
    /^(?:(?:ok|okay|yes|yeah|yep|sure|right|great|thanks|thx|hey|hi|then|now|also|and|so|pls|please|plz|kindly|asap|urgent|quick one|lp here|manager here|actually|oh|oops|sorry|nvm|fine|alright|ok then)[,:!.-]?\s+)*(?:(?:can|could|would|will) (?:you|u|ya|we|someone)(?: please| pls)? |(?:i|we) (?:need|want|would like)(?: you)? to |let'?s |go ahead and |i'?d like (?:you )?to |time to |need to |gotta |have to |we should |you should |pls |please )?(?:also |just |now |quickly |immediately )?/
  const rest = MIND.test(t) ? withoutMind(t) : t.replace(lead, '')
  // "hold history", "hold status", "release notes": nouns, not orders.
  if (
    /^(hold|release|freeze|block|launch|campaign)s?\s+(history|status|info|details?|records?|log|list|report|counts?|summary|queue|reasons?|requests?|notes|dates?|times?)\b/.test(
      rest,
    )
  )
    return false
  return WRITE_ORDER.test(rest)
}

const DOMAIN_SET_ALL = new Set(DOMAIN_WORDS)

/** The working state while one request's arguments are read: which slots were applied. */
class Reading {
  readonly used = new Set<Slot>()
  /** The figure another builder implied when it handed the request on ("alerts per month"). */
  impliedMetric: string | undefined
  readonly text: string
  constructor(
    readonly source: Corrected,
    readonly slots: readonly Slot[],
    readonly calendar: Calendar,
    readonly recall: Recall,
  ) {
    this.text = source.text
  }

  /** The person's own words between two points of the (corrected) text. */
  quote(start: number, end: number): string {
    return this.source.original.slice(this.source.at(start), this.source.at(end)).trim()
  }

  get lower() {
    return this.text.toLowerCase()
  }

  all<K extends Slot['kind']>(kind: K): Extract<Slot, { kind: K }>[] {
    return this.slots.filter((s): s is Extract<Slot, { kind: K }> => s.kind === kind)
  }

  /** The first slot of a kind, marked as applied. */
  take<K extends Slot['kind']>(
    kind: K,
    where?: (s: Extract<Slot, { kind: K }>) => boolean,
  ): Extract<Slot, { kind: K }> | undefined {
    const s = this.all(kind).find((x) => !this.used.has(x) && (!where || where(x)))
    if (s) this.use(s)
    return s
  }

  takeAll<K extends Slot['kind']>(kind: K): Extract<Slot, { kind: K }>[] {
    const list = this.all(kind).filter((x) => !this.used.has(x))
    for (const s of list) this.use(s)
    return list
  }

  /** A word reading from a group ("held" as a card status), and every reading of its words. */
  word(group: WordGroup): string | undefined {
    const s = this.all('word').find((x) => x.group === group && !this.used.has(x))
    if (!s) return undefined
    for (const other of this.all('word'))
      if (other.start === s.start && other.end === s.end) this.used.add(other)
    this.used.add(s)
    return s.value
  }

  use(s: Slot) {
    this.used.add(s)
    // A word reading inside an applied slot is applied with it.
    for (const w of this.slots)
      if (w.kind === 'word' && w.start >= s.start && w.end <= s.end) this.used.add(w)
  }

  money(side: 'min' | 'max' | 'amount'): number | undefined {
    return this.take('money', (m) => m.side === side)?.cents
  }

  /** A card: named in the message (always first), or the one the thread was about. */
  card(options: { allowBare?: boolean; recall?: boolean } = {}): string | undefined {
    // "hold it, customer says their pin 1234 was skimmed": "it" is the card the thread is about.
    if (
      options.recall !== false &&
      this.recall.card &&
      /^\s*(it|that card|this card|that one|this one|the same card)\b/i.test(
        this.text.slice(verbEnd(this.text)),
      )
    )
      return this.recall.card
    // The first card the words name, whether by id, "card 4821" or a bare 4821: a later one sits
    // in the reason.
    const candidates = this.slots
      .filter(
        (s): s is Extract<Slot, { kind: 'card' | 'number4' }> =>
          !this.used.has(s) &&
          (s.kind === 'card' ||
            (s.kind === 'number4' &&
              options.allowBare !== false &&
              (!/^(19|20)\d\d$/.test(s.value) || !this.all('date').length))),
      )
      .sort((a, b) => a.start - b.start)
    const first = candidates[0]
    if (first) {
      this.use(first)
      return first.value
    }
    if (options.recall === false) return undefined
    if (REFERS_BACK.test(this.text) || !/\bcards?\b/i.test(this.text)) return this.recall.card
    return undefined
  }

  date(): DateSlot | undefined {
    return this.take('date')?.value
  }

  /**
   * The person's own words after the request's anchor (the card, the alert): from the first
   * separator on — a comma, a dash, a colon, "because", "customer says…" — as they wrote them.
   */
  ownWords(after: number): string | undefined {
    const from = this.source.at(after)
    const rest = this.source.original.slice(from)
    // "dismiss alert 12 (legit bulk buyer, store mgr vouched)": the words in the brackets.
    const bracketed = /^\s*[,:-]?\s*\(([^()]{3,300})\)/.exec(rest)
    if (bracketed) {
      const words = (bracketed[1] as string).trim()
      const at = from + bracketed[0].indexOf(words)
      for (const s of this.slots)
        if (this.source.at(s.start) >= at && this.source.at(s.end) <= at + words.length)
          this.used.add(s)
      return words
    }
    const m =
      /(?:\s[-–—]+\s*|[-–—]{2,}|[,;:?]\s*|\.\s+|\s(?=(?:because|bc|b\/c|cuz|coz|due to|reason|note|per|customer|guest|cust|they|she|he|it'?s|its|looks|seems|suspected|possible|likely|probably|stolen|lost|card testing|pending|until|till|while|awaiting|waiting|in case|on suspicion|following|after|given|as per|for (?:now|review|investigation|the investigation)|so (?:we|that|lp|loss)|we (?:think|suspect|believe|need|got|have|saw)|i (?:think|suspect|believe|saw))\b))(.*)$/is.exec(
        rest,
      )
    if (!m) return undefined
    let words = (m[1] as string).trim()
    words = words.replace(
      /^(?:because(?: of)?|bc|b\/c|cuz|coz|due to|reason(?: is)?|note|as|since)?\s*[:—–-]?\s+/i,
      '',
    )
    // A sentence keeps its full stop ("The store manager saw it used in two states.").
    const sentence =
      /^[A-Z]/.test(words) &&
      /[^.]\.\s*$/.test(words) &&
      !/\b(?:pls|please|plz|thanks|thx|ty|asap)[\s.!]*$/i.test(words)
    words = words.replace(/[\s.!,;:]*(?:pls|please|plz|thanks|thx|ty|asap)?[\s.!,;:]*$/i, '').trim()
    if (sentence) words = `${words}.`
    // note: "drained 4 min after activation": the words inside the quotation marks.
    const inQuotes = /^["'“‘`]([^"“”`]{3,})["'”’`]$/.exec(words)
    if (inQuotes) words = (inQuotes[1] as string).trim()
    if (words.length < 3) return undefined
    // What is inside the person's reason is theirs, not a constraint to apply.
    const at = this.source.original.indexOf(words, from)
    for (const s of this.slots)
      if (this.source.at(s.start) >= at && this.source.at(s.end) <= at + words.length)
        this.used.add(s)
    return words
  }

  /** What the person said that no argument took: named in the reply, never dropped. */
  leftovers(tool?: string): string[] {
    const spans: { start: number; end: number }[] = []
    for (const s of this.slots) {
      if (this.used.has(s)) continue
      if (s.kind === 'word') {
        // A word is a constraint only if no other reading of it was used.
        if (
          this.slots.some(
            (o) => o !== s && this.used.has(o) && o.start <= s.start && o.end >= s.end,
          )
        )
          continue
        if (s.group === 'alertStatus' && s.value === 'open') continue
        if (
          s.group === 'holdStatus' ||
          s.group === 'approvalStatus' ||
          s.group === 'campaignStatus'
        )
          continue
        if (s.group === 'category') continue
      }
      if (s.kind === 'number4') continue
      if (s.kind === 'metric' || (s.kind === 'sort' && s.value === 'balance_desc')) continue
      spans.push({ start: s.start, end: s.end })
    }
    for (const cue of unreadCues(this.text, this.slots)) {
      if (
        tool &&
        AVERAGES.has(tool) &&
        /^(average|avg|mean)\b/i.test(this.text.slice(cue.start, cue.end))
      )
        continue
      spans.push(cue)
    }
    const notes: string[] = []
    for (const span of restrictionPhrases(this.text, spans, [...this.used])) {
      const words = this.quote(span.start, span.end).replace(/[\s,;:.!?]+$/, '')
      if (words && !notes.includes(words)) notes.push(words)
    }
    return notes
  }
}

/**
 * Words that belong to a restriction around the slot that was read: "for the Brooklyn store
 * only", "bought with the mobile app", "birthday cards", "under $5 left". A constraint that is
 * not applied is quoted as the whole phrase the person wrote, not as the one word read, so the
 * reply names what they asked for (docs/planner.md §Arguments).
 */
const PHRASE_BEFORE =
  /^(?:for|in|at|from|with|on|by|via|through|thru|to|of|the|our|a|an|only|just|bought|sold|issued|purchased|paid|made|loaded|activated|redeemed|used|spent|created|requested|placed|filed|approved|rejected|decided|launched|drafted|submitted|raised|opened|that|which|whose|were|are|was|is)$/i
const PHRASE_AFTER =
  /^(?:stores?|shops?|locations?|branch(?:es)?|cards?|left|remaining|balances?|only|alone|app|apps|channel|segment|occasion|ones|on|them|it)$/i

/** Each unapplied span grown to its phrase, overlapping or touching phrases merged. */
function restrictionPhrases(
  text: string,
  spans: readonly { start: number; end: number }[],
  used: readonly Slot[],
): { start: number; end: number }[] {
  const inUsed = (a: number, b: number) => used.some((u) => a < u.end && b > u.start)
  const grown = spans.map(({ start, end: spanEnd }) => {
    let s = start
    const e0 = start + text.slice(start, spanEnd).trimEnd().length
    for (let i = 0; i < 3; i++) {
      const m = /(\S+)\s+$/.exec(text.slice(0, s))
      if (!m || !PHRASE_BEFORE.test(m[1] as string) || inUsed(m.index, s)) break
      s = m.index
    }
    let e = e0
    for (let i = 0; i < 2; i++) {
      const m = /^\s+([\w'-]+)/.exec(text.slice(e))
      if (!m || !PHRASE_AFTER.test(m[1] as string) || inUsed(e, e + m[0].length)) break
      // "on them" / "on it" only as a pair ("$20 on them"), never a bare "on".
      if (/^(on|them|it)$/i.test(m[1] as string)) {
        const pair = /^\s+on\s+(them|it)\b/i.exec(text.slice(e))
        if (!pair) break
        e += pair[0].length
        continue
      }
      e += m[0].length
    }
    return { start: s, end: e }
  })
  grown.sort((a, b) => a.start - b.start)
  const out: { start: number; end: number }[] = []
  for (const g of grown) {
    const prev = out.at(-1)
    if (prev && g.start <= prev.end + 1 && /^\s*$/.test(text.slice(prev.end, g.start)))
      prev.end = Math.max(prev.end, g.end)
    else out.push({ ...g })
  }
  return out
}

const REFERS_BACK =
  /\b(it|its|it's|that card|this card|the card|same card|that one|this one|the same|that|them|those|these|each|every|all of them|the top one|the first one)\b/i

/** Tools whose answers state an average (a balance per card), so "average" is applied there. */
const AVERAGES = new Set<string>([segmentPurchasers.name, findDormantCards.name])

/** "except Texas", "excluding online", "vs last year": limits the slots did not read. */
function unreadCues(text: string, slots: readonly Slot[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  const cue =
    /\b(compare(?:d)?(?: (?:it|that|this|them))?(?: (?:with|to|against))?|average|avg|mean|median|except|excluding|exclude|other than|besides|without|not including|but not|vs\.?|versus|compared (?:to|with)|year over year|yoy|per capita|net of|only)(?=\s|$)/gi
  const cues = [...text.matchAll(cue)]
  cues.forEach((m, i) => {
    const start = m.index
    const cueEnd = start + (m[1] as string).length
    const next = cues[i + 1]?.index ?? text.length
    const words = /^\s+([\w$.%-]+(?:\s+[\w$.%-]+){0,2})/.exec(text.slice(cueEnd, next))
    const end = cueEnd + (words ? words[0].length : 0)
    const exclusion =
      /^(except|excluding|exclude|other than|besides|without|not including|but not)$/i.test(
        m[1] as string,
      )
    // "only NY" and "vs CA" are fine when the place after the cue was read as a slot.
    const lead = /^\s+(?:(?:for|in|at|the|of|to)\s+)*/.exec(text.slice(cueEnd))?.[0].length ?? 1
    const after =
      slots.find((s) => s.start >= cueEnd && s.start <= cueEnd + Math.max(2, lead)) ??
      // "only stuff since friday": a slot within the words the cue governs.
      (/^(only|just)$/i.test(m[1] as string)
        ? slots.find((s) => s.kind !== 'word' && s.start >= cueEnd && s.start < end)
        : undefined) ??
      // "only 3", "just the last 5": the cue is inside a slot that read it.
      slots.find((s) => s.start <= start && s.end >= cueEnd && s.kind !== 'word')
    // A comparison is applied only as several places side by side; two times are not compared.
    const covered =
      after !== undefined &&
      (!/^compare/i.test(m[1] as string) || after.kind === 'state' || after.kind === 'store')
    if (covered && !exclusion) return
    if (/^(yoy|year over year|per capita)$/i.test(m[1] as string) || words) out.push({ start, end })
  })
  // "for employee emp_001_05", "on terminal web-3", "ord_123": a filter no tool has is named.
  for (const m of text.matchAll(UNKNOWN_FILTER)) {
    const start = m.index
    const end = start + m[0].length
    if (!slots.some((s) => s.start < end && start < s.end)) out.push({ start, end })
  }
  // "on weekends only", "after hours", "during business hours": a time of day or week no tool
  // filters on (a date slot, "this morning", covers its own words).
  for (const m of text.matchAll(UNKNOWN_TIME)) {
    const start = m.index
    const end = start + m[0].length
    if (!slots.some((s) => s.start < end && start < s.end)) out.push({ start, end })
  }
  // "by cashier", "per customer zip code", "by hour of day": a breakdown no tool has is named.
  for (const m of text.matchAll(UNKNOWN_DIMENSION)) {
    const start = m.index
    const end = start + m[0].length
    if (!slots.some((s) => s.start < end && start < s.end)) out.push({ start, end })
  }
  return out
}

/**
 * Filters by a party no tool filters on: an employee, terminal, register, device, order or
 * customer named by its id (a token with a digit or an underscore), or such an id alone.
 */
const UNKNOWN_FILTER =
  /\b(?:(?:for|by|from|on|at|of|with)\s+)?(?:the\s+)?(?:employee|cashier|clerk|associate|terminal|register|till|device|order|customer)\s+#?(?=[\w-]*[\d_])[\w-]+|\b(?:emp|term|ord|cust)_[\w-]+/gi

/** Times of day or week no tool filters on ("on weekends only", "after hours"). */
const UNKNOWN_TIME =
  /\b(?:(?:on|during|over|at|in|for)\s+)?(?:the\s+)?(?:weekends?|weekdays?|week ?nights?|nights?|overnight|mornings?|evenings?|afternoons?|business hours|after[- ]hours|opening hours|closing time|lunch ?time|rush hours?|peak hours|off[- ]peak)(?:\s+only)?\b/gi

/** Breakdowns people ask for that no tool offers (docs/planner.md §Arguments). */
const UNKNOWN_DIMENSION =
  /\b(?:by|per|each|broken (?:down|out) by|split by|grouped by|breakdown by)\s+(?:the\s+)?(?:customer\s+|card(?:holder)?\s+)?(?:cashiers?|employees?|clerks?|associates?|staff(?: members?)?|hours?(?: of (?:the )?day)?|time of day|zip(?: ?codes?)?|post ?codes?|postal codes?|count(?:y|ies)|cit(?:y|ies)|regions? of|terminals?|registers?|devices?|skus?|products?|age(?: groups?)?|genders?|weekdays?|days? of (?:the )?week|card types?|denominations?|payment methods?|tender(?: types?)?|zips?)\b/gi

type Builder = (r: Reading) => Plan

const call = (
  tool: string,
  args: Record<string, unknown>,
  r: Reading,
  extra: Partial<Extract<Plan, { kind: 'call' }>> = {},
): Plan => ({
  kind: 'call',
  tool,
  args: clean(args),
  also: [],
  notes: r.leftovers(tool),
  remarks: [],
  intent: tool,
  confidence: 1,
  ...extra,
})

function clean(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(args).filter(
      ([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0),
    ),
  )
}

const day = (d: DateSlot | undefined) => d?.to ?? d?.from

function states(r: Reading): string[] {
  const named = [...new Set(r.takeAll('state').map((s) => s.value))]
  if (named.length || r.all('store').length) return named
  // "there", "the state", "same state": the place the thread was about.
  const place = r.recall.place
  if (place?.jurisdiction && !place.location && THERE.test(r.text)) return [place.jurisdiction]
  return []
}

/** Words that mean the place the thread was about. */
const THERE =
  /\b(there|over there|that (?:store|location|state|place|one)|the same (?:store|state|place)|same (?:store|state|place)|the state|this state|this store|that shop)\b/i

function oneStore(r: Reading): string | undefined {
  const named = r.take('store')?.value
  if (named || r.all('state').length) return named
  if (/\b(?:the )?(?:top|biggest|busiest|worst|first) (?:store|location|shop)\b/i.test(r.text))
    return r.recall.topStore
  const place = r.recall.place
  return place?.location && THERE.test(r.text) ? place.location : undefined
}

/** A look-back window said for a tool that looks ahead ("within 3 months"), in months. */
function monthsOfWindow(r: Reading): number | undefined {
  const d = r.take('date', (s) => s.value.kind === 'since' && s.value.days !== undefined)
  const days = d?.value.days
  return days ? Math.min(36, Math.max(1, Math.round(days / 30))) : undefined
}

/** `since` for the tools that take a start day, from a date slot ("since nov 1", "this week"). */
function since(r: Reading): { since?: string; days?: number } {
  const d = r.date()
  if (!d) return {}
  if (d.quarter) {
    const q = resolveQuarter(d.quarter, r.calendar, false)
    return { since: q.from }
  }
  if (d.kind === 'since' && d.days) return { days: d.days }
  if (d.from) return { since: d.from }
  return {}
}

/** The first day of the window the words give, for tools that take `since`. */
function sinceDay(r: Reading): string | undefined {
  const s = since(r)
  if (s.since) return s.since
  return s.days ? addDays(localDay(r.calendar.now, r.calendar.timezone), -(s.days - 1)) : undefined
}

/** The window the words give, in days back from today, for tools that take `days`. */
function lookbackDays(r: Reading): number | undefined {
  const s = since(r)
  if (s.days) return s.days
  return s.since
    ? windowDays({ kind: 'since', from: s.since, start: 0, end: 0 }, r.calendar)
    : undefined
}

function window(r: Reading, ahead = false): { from?: string; to?: string } {
  const d = r.date()
  if (!d) return {}
  if (d.quarter) return resolveQuarter(d.quarter, r.calendar, ahead)
  if (d.kind === 'asOf' || d.kind === 'before') return d.to ? { to: d.to } : {}
  return clean({ from: d.from, to: d.kind === 'since' ? undefined : d.to }) as {
    from?: string
    to?: string
  }
}

const LIABILITY_GROUPS = new Set(['location', 'jurisdiction', 'cohort', 'occasion', 'channel'])
const METRIC_DIMS = new Set([
  'day',
  'week',
  'month',
  'quarter',
  'location',
  'jurisdiction',
  'occasion',
  'channel',
  'segment',
  'rule',
])
const FORECAST_GROUPS = new Set(['occasion', 'segment', 'jurisdiction'])
const TIME_DIMS = new Set(['day', 'week', 'month', 'quarter'])

/** The list tools by the noun that names what they list. */
const LIST_NOUNS: readonly { re: RegExp; tool: string }[] = [
  { re: /\bapprovals?\b|\bapproval requests?\b/, tool: listApprovals.name },
  { re: /\bcampaigns?\b/, tool: listCampaigns.name },
  { re: /\bholds?\b/, tool: listCardHolds.name },
  { re: /\balerts?\b/, tool: listFraudAlerts.name },
]

/** The reading with the figure a builder implies, when it hands a request to ledger_metrics. */
function withMetric(r: Reading, metric: string): Reading {
  r.impliedMetric = metric
  return r
}

const BUILDERS: Record<string, Builder> = {
  get_gift_card: (r) => {
    const card = r.card({ recall: false }) ?? nth(r.recall.cards, ordinalIndex(r.text)) ?? r.card()
    if (!card)
      return reply('Which card? Give its id (gc_…) or the last 4 digits of its number.', 'clarify')
    const history = /\b(history|transactions?|activity|txns?|statement|movements)\b/i.test(r.text)
    const n = r.take('top')?.value
    return call(getGiftCard.name, { card, transactions: history ? (n ?? 10) : undefined }, r)
  },
  search_gift_cards: (r) => {
    // A card named by its id is that card, not a search ("tell me about card gc_…").
    if (r.all('card').some((c) => !/^\d{4}$/.test(c.value))) return BUILDERS.get_gift_card!(r)
    // "dormant" is the dormant-card tool's word: the search has no such filter to drop it into.
    if (/\bdormant\b/i.test(r.text) && !r.all('idleDays').length)
      return BUILDERS.find_dormant_cards!(r)
    const status = r.word('cardStatus') ?? (/\bholds\b/i.test(r.text) ? 'held' : undefined)
    const j = states(r)
    const store = oneStore(r)
    const last4 = r.take('card', (c) => /^\d{4}$/.test(c.value))?.value ?? r.take('number4')?.value
    const idle = r.take('idleDays')?.days
    const top = r.take('top')?.value
    const sort = r.take('sort', (s) =>
      ['balance_desc', 'balance_asc', 'issued_desc', 'last_activity_desc'].includes(s.value),
    )?.value
    const lowest = /\b(lowest|smallest|least)\b/i.test(r.text)
    return call(
      searchGiftCards.name,
      {
        last4,
        status,
        location: store,
        jurisdiction: j[0],
        minBalanceCents: r.money('min'),
        maxBalanceCents: r.money('max'),
        inactiveDays: idle,
        sort: sort ?? (top ? (lowest ? 'balance_asc' : 'balance_desc') : undefined),
        limit: top,
      },
      r,
      j.length > 1 ? { remarks: [`One state at a time here: I used ${j[0]}.`] } : {},
    )
  },
  get_liability: (r) => {
    const j = states(r)
    const store = oneStore(r)
    const group = r.take('groupBy', (g) => LIABILITY_GROUPS.has(g.value))?.value
    const d = r.date()
    const asOf = d
      ? d.quarter
        ? resolveQuarter(d.quarter, r.calendar, false).to
        : day(d)
      : undefined
    const topSlot = r.take('top')
    const top = topSlot?.value
    const occasion = r.word('occasion')
    const channel = r.word('channel')
    const groupBy =
      group ??
      (topSlot?.of && LIABILITY_GROUPS.has(topSlot.of)
        ? topSlot.of
        : top
          ? 'jurisdiction'
          : occasion
            ? 'occasion'
            : channel
              ? 'channel'
              : j.length > 1
                ? 'jurisdiction'
                : 'total')
    const remarks: string[] = []
    if (occasion && groupBy !== 'occasion')
      remarks.push(
        `Liability is not filtered by occasion ("${occasion}"): ask for liability by occasion.`,
      )
    if (channel && groupBy !== 'channel')
      remarks.push(
        `Liability is not filtered by channel ("${channel}"): ask for liability by channel.`,
      )
    if (j.length && store)
      remarks.push(`I used the state${j.length > 1 ? 's' : ''}, not the store as well.`)
    const plan = call(
      getLiability.name,
      {
        groupBy,
        jurisdiction: j.length === 1 ? j[0] : undefined,
        jurisdictions: j.length > 1 ? j : undefined,
        location: j.length ? undefined : store,
        asOf,
        top,
      },
      r,
    )
    if (plan.kind === 'call') plan.remarks.push(...remarks)
    return plan
  },
  forecast_breakage: (r) => {
    const horizon = r.take('horizon')?.months
    const d = r.date()
    let asOf: string | undefined
    let periodFrom: string | undefined
    let periodTo: string | undefined
    const thisMonth = localDay(r.calendar.now, r.calendar.timezone).slice(0, 7)
    // A forecast looks ahead: "december thru february" with no year is the coming one (dates
    // are read looking back, so a span of months without a year is moved a year on).
    const ahead = aheadSpan(d, r, thisMonth)
    if (d?.quarter) {
      const q = resolveQuarter(d.quarter, r.calendar, true)
      periodFrom = q.from.slice(0, 7)
      periodTo = q.to.slice(0, 7)
    } else if (ahead) {
      periodFrom = ahead.from
      periodTo = ahead.to
    } else if (d?.kind === 'range' && d.from && d.from.slice(0, 7) > thisMonth) {
      periodFrom = d.from.slice(0, 7)
      periodTo = (d.to ?? d.from).slice(0, 7)
    } else if (d?.kind === 'before' && d.to && d.to.slice(0, 7) > thisMonth) {
      // "through june 2027", "until march": the months from now to then.
      periodFrom = thisMonth
      periodTo = d.to.slice(0, 7)
    } else if (d) {
      const today = localDay(r.calendar.now, r.calendar.timezone)
      const wholeMonth =
        d.grain === 'month' ||
        (d.kind === 'range' &&
          d.from?.endsWith('-01') &&
          d.to !== undefined &&
          d.to.slice(0, 7) === d.from.slice(0, 7) &&
          addDays(d.to, 1).endsWith('-01'))
      // "as of june", "at the start of september": the forecast as that month began.
      if (/\b(start|beginning) of\b/i.test(r.text) && d.from)
        asOf = d.from.endsWith('-01') ? d.from.slice(0, 7) : d.from
      else if (wholeMonth) asOf = (d.from ?? d.to)?.slice(0, 7)
      // "this month", "from the current month": the forecast from now.
      else if ((day(d) ?? today) < today) asOf = day(d)
    }
    const group = r.take('groupBy', (g) => FORECAST_GROUPS.has(g.value))?.value
    const unsaved =
      /\b(?:do not|don'?t|no need to|without|never|not)\s+(?:\w+\s+)?(?:save|store|keep|record|persist)\w*\b/i.test(
        r.text,
      )
    const save =
      !unsaved &&
      /\b(save|store|keep|record|persist)\b.{0,40}\b(forecast|it|this|that|one|run|result)\b|\b(save|store|persist)\s+(?:it|this|that)\b|\bsaved (?:forecast|run|copy)\b/i.test(
        r.text,
      )
    // "which 15 cards are least likely to be spent": the forecast's riskiest cards.
    const cardsTop = r
      .all('top')
      .find((t) => /^\s*(?:[a-z]+\s+){0,2}cards\b/i.test(r.text.slice(t.end)) && t.value > 1)
    if (cardsTop) r.use(cardsTop)
    return call(
      forecastBreakage.name,
      {
        horizonMonths: horizon ?? (periodTo ? monthsAhead(periodTo, r.calendar) : 12),
        asOf,
        groupBy: group,
        periodFrom,
        periodTo,
        topCards: cardsTop?.value,
        save: unsaved ? false : save || undefined,
      },
      r,
    )
  },
  list_fraud_alerts: (r) => {
    // "alerts for gc_b270dd76": the alerts on that card.
    if (r.all('card').some((c) => c.explicit) && !r.all('rule').length && !r.all('store').length)
      return BUILDERS.explain_fraud_alert!(r)
    // "drain-after-activation alerts per month": a series over time is the metric's (the list
    // counts by store or rule only); a rule it cannot filter on is then named.
    if (r.all('groupBy').some((g) => TIME_DIMS.has(g.value)))
      return BUILDERS.ledger_metrics!(withMetric(r, 'fraud_alerts'))
    const rule = r.take('rule')?.value
    const status = r.word('alertStatus')
    const store = oneStore(r)
    const j = states(r)
    const score = r.take('score')?.min
    const top = r.take('top')?.value
    const byTop = r.all('top').find((t) => t.of === 'location' || t.of === 'rule')
    const countBy =
      byTop?.of ??
      r.take('groupBy', (g) => g.value === 'location' || g.value === 'rule')?.value ??
      (/\b(?:which|what) (?:stores|locations|shops)\b|\bwhere (?:are they|they are)\b/i.test(r.text)
        ? 'location'
        : /\b(?:which|what) (?:rules|detectors|types)\b/i.test(r.text)
          ? 'rule'
          : undefined)
    // "confirmed alerts in october": the list runs from a day to now, so the window's end is
    // said, never dropped silently.
    const window = r.all('date')[0]?.value
    const today = localDay(r.calendar.now, r.calendar.timezone)
    const end = window?.quarter
      ? resolveQuarter(window.quarter, r.calendar, false).to
      : window?.kind === 'range'
        ? window.to
        : undefined
    const remarks =
      end !== undefined && end < addDays(today, -1)
        ? [
            `The alerts list runs from a day to now and cannot stop at ${end}; for that window alone ask for the count, e.g. "fraud alerts by store" with the same dates.`,
          ]
        : []
    return call(
      listFraudAlerts.name,
      {
        status: status ?? (/\ball\b/i.test(r.text) && !rule ? undefined : 'open'),
        rule,
        location: store,
        jurisdiction: store ? undefined : j[0],
        minScore: score,
        ...since(r),
        countBy,
        limit: top,
      },
      r,
      { remarks },
    )
  },
  scan_for_fraud: (r) => {
    const days = lookbackDays(r)
    const store = oneStore(r)
    return call(scanForFraud.name, { days: days ?? 30, location: store }, r)
  },
  // The case file of one alert (docs/fraud-cases.md): named, or the one just listed or explained.
  get_fraud_case: (r) => {
    const alert = r.take('alert')?.value ?? bareAlert(r)?.value
    if (alert !== undefined) return call(getFraudCase.name, { alertId: alert }, r)
    const listed = nth(r.recall.alerts, ordinalIndex(r.text))
    if (listed) {
      r.take('top')
      return call(getFraudCase.name, { alertId: listed.alertId }, r)
    }
    if (r.recall.alertId !== undefined)
      return call(getFraudCase.name, { alertId: r.recall.alertId }, r)
    return reply('Which alert? Give its number, e.g. "case file for alert 12".', 'clarify')
  },
  explain_fraud_alert: (r) => {
    // "the highest scoring drain alert and why did it fire": the top one of that list, explained.
    const topOfRule =
      r.all('rule').length > 0 &&
      !r.all('alert').length &&
      !r.all('card').length &&
      /\b(highest|top|worst|riskiest|biggest|latest|newest|most recent)\b/i.test(r.text)
        ? { kind: 'top' as const, value: 1, start: 0, end: 0 }
        : undefined
    const many = r.all('top').find((t) => t.value > 1) ?? topOfRule
    if (many && !r.all('alert').length && !r.all('card').length) {
      r.use(many)
      const template = call(explainFraudAlert.name, { alertId: ITEM_ALERT }, r) as CallPlan
      return call(
        listFraudAlerts.name,
        { status: r.word('alertStatus') ?? 'open', rule: r.take('rule')?.value, limit: many.value },
        r,
        {
          intent: explainFraudAlert.name,
          followUp: {
            tools: [explainFraudAlert.name],
            derive: (results) =>
              perItem(template, itemsOf(results, listFraudAlerts.name), many.value),
          },
        },
      )
    }
    const alert = r.take('alert')?.value ?? bareAlert(r)?.value
    if (alert !== undefined) return call(explainFraudAlert.name, { alertId: alert }, r)
    const card = r.card({ recall: false })
    if (card) return call(explainFraudAlert.name, { card }, r)
    const listed = nth(r.recall.alerts, ordinalIndex(r.text))
    if (listed) {
      r.take('top')
      return call(explainFraudAlert.name, { alertId: listed.alertId }, r)
    }
    if (r.take('top')) {
      const first = r.recall.alerts?.[0]
      if (first) return call(explainFraudAlert.name, { alertId: first.alertId }, r)
    }
    if (r.recall.alertId !== undefined)
      return call(explainFraudAlert.name, { alertId: r.recall.alertId }, r)
    if (r.recall.card) return call(explainFraudAlert.name, { card: r.recall.card }, r)
    return reply('Which alert? Give its number or the card, e.g. "explain alert 12".', 'clarify')
  },
  update_fraud_alert: (r) => {
    // "confirm 38. note: same MO as alert 8": the alert the order names comes first; one
    // inside the note is part of the note.
    const bare = bareAlert(r)
    const firstSlot = r.all('alert')[0]
    const alert =
      bare && (!firstSlot || bare.end <= firstSlot.start)
        ? { kind: 'alert' as const, value: bare.value, start: 0, end: bare.end }
        : r.take('alert')
    const object = alert ?? r.all('rule')[0]
    let note = r.ownWords(Math.max(object?.end ?? 0, alert?.end ?? 0, verbEnd(r.text)))
    // "and 12 too, same reason": the note of the update before.
    if (
      /\bsame (?:reason|note|thing|comment)\b/i.test(r.text) &&
      r.recall.tool === updateFraudAlert.name &&
      typeof r.recall.args?.note === 'string'
    )
      note = r.recall.args.note
    // "…, dismiss it" after a statement is the order, not a note.
    if (note && /^(dismiss|confirm|close|clear|resolve)( it| that| this( one)?)?$/i.test(note))
      note = undefined
    // The decision is read from the words before the note: "dismiss alert 9, the customer
    // confirmed it" dismisses.
    const original = r.source.original
    const decision = (note ? original.slice(0, original.lastIndexOf(note)) : original).toLowerCase()
    const status =
      alertDecision(decision) ??
      (/\bsame\b/i.test(r.text) && r.recall.tool === updateFraudAlert.name
        ? (r.recall.args?.status as 'confirmed' | 'dismissed' | undefined)
        : undefined)
    r.word('alertStatus')
    if (!alert) {
      // Only the words of the order pick the alerts: a rule or "them" inside the note does not.
      const noteAt = note
        ? r.text.length - (original.length - original.lastIndexOf(note))
        : r.text.length
      const rule = r.take('rule', (x) => x.start < noteAt)?.value
      if (rule || /\ball\b|\bevery\b|\bthose\b|\bthem\b/i.test(decision)) {
        if (!status)
          return reply(
            'Should I confirm them as fraud or dismiss them as false positives? Say which, e.g. "dismiss all the refund abuse alerts from this week".',
            'clarify',
          )
        return bulkTriage(r, status, rule, note)
      }
      if (
        r.recall.alertId !== undefined &&
        (REFERS_BACK.test(decision) || /\b(the|that|this) alert\b|\bitself\b/i.test(decision))
      )
        return call(
          updateFraudAlert.name,
          { alertId: r.recall.alertId, status: status ?? 'dismissed', note },
          r,
        )
      return reply('Which alert? Give its number, e.g. "dismiss alert 12".', 'clarify')
    }
    if (!status)
      return reply(
        `Should alert ${alert.value} be confirmed as fraud or dismissed as a false positive?`,
        'clarify',
      )
    return call(updateFraudAlert.name, { alertId: alert.value, status, note }, r)
  },
  segment_purchasers: (r) => {
    const t = r.lower
    const both =
      /\bboth\b/.test(t) ||
      (/occasion|why .* buy/.test(t) && /behaviou?r|how .* (use|redeem|spend)/.test(t))
    const by = both
      ? 'both'
      : /behaviou?r|redemption|redeem|spend|how .* (use|redeem|spend)/.test(t) &&
          !/occasion/.test(t)
        ? 'behaviour'
        : /occasion|why .* buy|holiday|corporate|birthday/.test(t) && !/behaviou?r/.test(t)
          ? 'occasion'
          : 'both'
    r.word('occasion')
    r.word('segment')
    return call(segmentPurchasers.name, { by }, r)
  },
  find_dormant_cards: (r) => {
    const idle = r.take('idleDays')?.days
    const d = r.date()
    const j = states(r)
    const store = oneStore(r)
    const top = r.take('top')?.value
    const sort = r.take('sort', (s) =>
      ['balance_desc', 'idle_desc', 'reactivation_desc'].includes(s.value),
    )?.value
    const idleSince =
      d && !idle ? (d.kind === 'since' && d.days ? undefined : (d.from ?? d.to)) : undefined
    const plan = call(
      findDormantCards.name,
      {
        minDays: idle ?? (d?.kind === 'since' && d.days ? d.days : undefined),
        idleSince,
        minBalanceCents: r.money('min'),
        maxBalanceCents: r.money('max'),
        jurisdiction: j[0],
        location: store,
        sort:
          sort ??
          (top && /\b(biggest|largest|highest|most)\b/i.test(r.text) ? 'balance_desc' : undefined),
        limit: top,
      },
      r,
    )
    if (plan.kind === 'call' && j.length > 1)
      plan.remarks.push(`One state at a time here: I used ${j[0]}.`)
    return plan
  },
  escheatment_report: (r) => {
    const j = states(r)
    return call(
      escheatmentReport.name,
      {
        jurisdiction: j[0],
        // "within 3 months" reads as a window; for deadlines ahead it is the horizon.
        horizonMonths: r.take('horizon')?.months ?? monthsOfWindow(r) ?? 6,
      },
      r,
    )
  },
  product_affinity: (r) => {
    const t = r.lower
    r.word('category')
    return call(
      productAffinity.name,
      {
        context:
          /alongside|with (a )?gift card purchases?|when (they )?buy(ing)? (a )?gift card|bought together|purchased together|buy(ing)? gift cards|together with/.test(
            t,
          ) && !/redeem|spend|spent/.test(t)
            ? 'bought_alongside'
            : 'redeemed_with',
        level:
          /\bskus?\b|\bproducts?\b|\bitems?\b/.test(t) && !/categor/.test(t) ? 'sku' : 'category',
        limit: r.take('top')?.value,
      },
      r,
    )
  },
  recommend_upsell: (r) => {
    const total = r.money('amount') ?? r.money('min') ?? 5000
    const category = r.word('category')
    return call(
      recommendUpsell.name,
      {
        totalCents: total,
        items: category ? [{ sku: `${category}-basket`, category, amountCents: total }] : [],
        priorVisits: r.take('visits')?.value ?? 0,
      },
      r,
    )
  },
  draft_campaign: (r) => {
    // The person's name and message for the campaign are theirs, verbatim, read first so that
    // nothing inside them ("this holiday season") is taken as a criterion.
    const name = quoted(
      r,
      /\b(?:called|named|titled|name it|call it)\s+["“']?([A-Z0-9][\w'’&-]*(?:\s+[A-Z0-9][\w'’&-]*){0,5})["”']?/,
    )
    const message =
      quoted(
        r,
        /\bmessage(?:\s+(?:is|saying|that says|reading|of))?\s*[:=]?\s*["“'‘]([^"”'’]{3,300})["”'’]/i,
      ) ??
      quoted(
        r,
        /\bmessage(?:\s+(?:is|saying|that says|reading))?\s*:\s*([^"”;]{3,300}?)\s*[.!]?\s*$/i,
      )
    const idle = r.take('idleDays')?.days
    const d = r.date()
    const j = states(r)
    const store = oneStore(r)
    const segmentWord = r.word('segment')
    // An occasion is an audience segment only when called one ("the birthday segment").
    const occasionSegment =
      /\b(birthday|holiday|corporate|self[- ]use)\w*\s+(?:segment|buyers|purchasers|gifters|crowd)\b/i.test(
        r.text,
      )
        ? r.word('occasion')
        : undefined
    const segment = SEGMENTS[segmentWord ?? occasionSegment ?? ''] ?? segmentWord ?? occasionSegment
    const status = r.word('cardStatus')
    const those =
      /\b(those|these|them|that list|the ones (above|listed)|those cards|these cards)\b/i.test(
        r.text,
      ) && (r.recall.cards?.length ?? 0) > 0
    const offer = /\bno offer\b/i.test(r.text)
      ? undefined
      : (/offer(?:ing)?\s+(.+?)(?:\.|,|;|$)/i.exec(r.text)?.[1] ??
        /(\d+%\s*off[^.,;]*)/i.exec(r.text)?.[1] ??
        /(\$\d+\s+(?:off|bonus|credit)[^.,;]*)/i.exec(r.text)?.[1])
    if (offer)
      for (const s of r.slots)
        if (s.end > r.text.indexOf(offer) && s.start < r.text.indexOf(offer) + offer.length)
          r.use(s)
    const audience = clean({
      minDaysInactive: idle ?? (d?.kind === 'since' && d.days ? d.days : undefined),
      idleSince: d && !(d.kind === 'since' && d.days) ? (d.from ?? d.to) : undefined,
      minBalanceCents: r.money('min'),
      maxBalanceCents: r.money('max'),
      segment,
      status,
      jurisdiction: j[0],
      location: store,
      cardIds: those ? r.recall.cards?.slice(0, 500) : undefined,
    })
    return call(
      draftCampaign.name,
      {
        audience: Object.keys(audience).length ? audience : undefined,
        offer: offer?.trim().replace(/^(?:is|of|:)\s+/i, ''),
        name:
          name ??
          (/\bholiday\b/i.test(message ? r.text.replace(message, '') : r.text)
            ? 'Holiday reactivation'
            : undefined),
        message,
      },
      r,
    )
  },
  get_audit_log: (r) => {
    const t = r.lower
    const approval = r.take('approval')?.value ?? approvalFromThread(r)
    const days = lookbackDays(r)
    const tool =
      /\b(place_card_hold|release_card_hold|launch_campaign|update_fraud_alert|get_gift_card|[a-z]+_[a-z_]+)\b/.exec(
        r.text,
      )?.[1] ??
      (/\b(fraud )?scans?\b|\bscanned\b|\bran (?:a )?(?:fraud )?(?:scan|sweep)/.test(t)
        ? scanForFraud.name
        : /\breleas\w*|\bunfreez\w*/.test(t)
          ? releaseCardHold.name
          : /\bholds?\b/.test(t)
            ? /releas|lift/.test(t)
              ? releaseCardHold.name
              : placeCardHold.name
            : /\bcampaign/.test(t)
              ? launchCampaign.name
              : /\btriag|dismiss|confirm/.test(t)
                ? updateFraudAlert.name
                : undefined)
    return call(
      getAuditLog.name,
      {
        actor: r.take('actor')?.value,
        approvalId: approval,
        tool,
        days,
        verify:
          /verify|tamper|intact|chain|integrity|untampered|check the (log|trail)/.test(t) ||
          undefined,
      },
      r,
    )
  },
  list_approvals: (r) => {
    const id = r.take('approval')?.value ?? approvalFromThread(r)
    if (id !== undefined) return call(listApprovals.name, { approvalId: id }, r)
    const status = r.word('approvalStatus')
    return call(
      listApprovals.name,
      {
        status,
        since: sinceDay(r),
      },
      r,
    )
  },
  list_card_holds: (r) => {
    const card = r.card({ recall: true })
    // "active holds": the hold's status, read before "active" can be taken as a card's.
    const status =
      r.word('holdStatus') ??
      (/\bhow many\b.*\b(holds?|frozen|on hold|held|locked)\b|\b(is|are) (there )?(a |any )?holds?\b/i.test(
        r.text,
      )
        ? 'active'
        : undefined)
    r.word('cardStatus')
    const from = sinceDay(r)
    return call(
      listCardHolds.name,
      {
        card:
          /\bholds\b/i.test(r.text) &&
          !r.all('card').length &&
          !r.all('number4').length &&
          !/\b(?:on|for|against) (?:it|that card|this card|that one)\b/i.test(r.text)
            ? undefined
            : card,
        status,
        placedBy: r.take('actor')?.value,
        since: from,
        limit: r.take('top')?.value,
      },
      r,
    )
  },
  list_campaigns: (r) => {
    const status = r.word('campaignStatus')
    // "is it live yet?": every status, so the answer shows where that campaign is.
    const aboutIt =
      r.recall.campaignId !== undefined && /\b(it|that one|this one|that campaign)\b/i.test(r.text)
    return call(
      listCampaigns.name,
      { status: aboutIt ? undefined : status, limit: r.take('top')?.value },
      r,
    )
  },
  // The month-end close (docs/finance.md): the month named, else the last one that ended.
  prepare_journal_entries: (r) =>
    call(prepareJournalEntries.name, { month: closedMonth(r.lower, r.calendar) }, r),
  post_journal_entries: (r) =>
    call(postJournalEntries.name, { month: closedMonth(r.lower, r.calendar) }, r),
  // Drift and feed freshness (docs/reconciliation.md); a POS named is the cards' source.
  reconcile_ledger: (r) => {
    const source = /\b(square|shopify|lightspeed|clover)\b/.exec(r.lower)?.[1]
    // "the pos" / "the register" here is what the ledger is compared with, not a channel.
    r.word('channel')
    return call(reconcileLedger.name, { source, location: oneStore(r) }, r)
  },
  ledger_metrics: (r) => {
    const metricSlot = r.take('metric')
    const metric =
      metricSlot?.value ??
      r.impliedMetric ??
      // "refund abuse hits by week": a detector named is counted as its alerts.
      (r.all('rule').length ? 'fraud_alerts' : undefined) ??
      guessMetric(r.lower) ??
      (r.recall.tool === ledgerMetrics.name && typeof r.recall.args?.metric === 'string'
        ? r.recall.args.metric
        : undefined)
    const timeDims = r
      .all('groupBy')
      .some((g) => ['day', 'week', 'month', 'quarter'].includes(g.value))
    const filtered =
      r.all('word').some((w) => w.group === 'occasion' || w.group === 'channel') &&
      !r.all('groupBy').some((g) => g.value === 'occasion' || g.value === 'channel')
    if (
      metric === 'liability' &&
      !timeDims &&
      !filtered &&
      // Liability groups by state, store, cohort, occasion or channel; a segment is a metric's.
      !r.all('groupBy').some((g) => !LIABILITY_GROUPS.has(g.value)) &&
      // A range of days is a series; one day ("at end of day yesterday") is liability as of it.
      !r.all('date').some((d) => d.value.kind === 'range' && d.value.from !== d.value.to)
    ) {
      if (metricSlot) r.used.delete(metricSlot)
      return BUILDERS.get_liability!(r)
    }
    // "reload & drain since monday": a rule named without a figure is a list of its alerts, and
    // so is "refund alerts this week".
    const named = metricSlot !== undefined || r.impliedMetric !== undefined
    if (
      r.all('rule').length &&
      !r.all('groupBy').some((g) => TIME_DIMS.has(g.value)) &&
      (!named || (/\balerts?\b/.test(r.lower) && !r.all('groupBy').length))
    ) {
      if (metricSlot) r.used.delete(metricSlot)
      return BUILDERS.list_fraud_alerts!(r)
    }
    if (!metric && r.all('csv').length)
      return reply(
        'I can export ledger metrics as CSV, e.g. "fraud alerts by store as csv" or "redemptions by month as csv"; a list of cards or alerts cannot be exported yet.',
        'clarify',
      )
    if (!metric)
      return reply(
        'Which figure? For example cards sold, value loaded, redemptions, refunds, liability, fraud loss, holds active or approvals.',
        'clarify',
      )
    // "alerts by store since nov 1", "dismissed alerts, count by rule": the alerts tool counts
    // them (with its status, rule, score and store filters).
    const alertGroups = r.all('groupBy').map((g) => g.value)
    // A closed window ("in Q3", "in october") has an end the alerts tool cannot take: a metric.
    const today = localDay(r.calendar.now, r.calendar.timezone)
    const closed = r.all('date').some((d) => {
      if (d.value.quarter) return resolveQuarter(d.value.quarter, r.calendar, false).to < today
      return d.value.kind !== 'since' && d.value.to !== undefined && d.value.to < addDays(today, -1)
    })
    if (
      metric === 'fraud_alerts' &&
      alertGroups.length === 1 &&
      (alertGroups[0] === 'location' || alertGroups[0] === 'rule') &&
      !closed &&
      !r.all('word').some((w) => w.group === 'occasion' || w.group === 'channel')
    ) {
      if (metricSlot) r.used.delete(metricSlot)
      return BUILDERS.list_fraud_alerts!(r)
    }
    const by = r
      .takeAll('groupBy')
      .map((g) => g.value)
      .filter((v) => METRIC_DIMS.has(v))
    const j = states(r)
    const store = oneStore(r)
    const w = window(r)
    const topSlot = r.take('top')
    const top = topSlot?.value
    if (topSlot?.of && METRIC_DIMS.has(topSlot.of) && !by.includes(topSlot.of)) by.push(topSlot.of)
    const csv = r.take('csv') ? 'csv' : undefined
    // "NY vs CA vs TX redemptions": the states side by side, as rows by state.
    const sideBySide = j.length > 1 && !by.includes('jurisdiction') && by.length < 2
    if (sideBySide) by.push('jurisdiction')
    const remarks = sideBySide
      ? [`Every state is shown by state, so ${j.join(', ')} can be compared side by side.`]
      : []
    // "highest first", "sorted by key", "lowest to highest": the order of the rows.
    const sortSlot = r.take('sort', (s) => ['balance_desc', 'balance_asc', 'key'].includes(s.value))
    const order =
      sortSlot?.value === 'key'
        ? 'key'
        : sortSlot?.value === 'balance_asc'
          ? 'value_asc'
          : sortSlot
            ? 'value_desc'
            : undefined
    // "the three boston stores": a city's stores, one row each.
    const city = store !== undefined && !/^loc_/.test(store) && /\bstores\b/i.test(r.text)
    const plan = call(
      ledgerMetrics.name,
      {
        metric,
        by: by.length
          ? [...new Set(by)].slice(0, 2)
          : (top && store === undefined) || city
            ? ['location']
            : undefined,
        ...w,
        location: store,
        jurisdiction: sideBySide ? undefined : j[0],
        occasion: r.word('occasion'),
        channel: r.word('channel'),
        status:
          metric === 'fraud_alerts' || metric === 'fraud_loss'
            ? // "spent on cards that have confirmed fraud": the status inside the figure's words.
              (r.word('alertStatus') ?? r.all('word').find((w) => w.group === 'alertStatus')?.value)
            : metric === 'approvals'
              ? r.word('approvalStatus')
              : undefined,
        sort:
          order ??
          (top
            ? /\b(lowest|least|fewest|bottom|smallest)\b/i.test(r.text)
              ? 'value_asc'
              : 'value_desc'
            : /\b(which|what) (stores?|states?|occasions?|channels?|segments?|rules?) (?:\w+ ){0,3}(?:highest|most|biggest|largest)\b/i.test(
                  r.text,
                )
              ? 'value_desc'
              : undefined),
        top,
        format: csv,
      },
      r,
    )
    if (plan.kind === 'call') plan.remarks.push(...remarks)
    return plan
  },
  place_card_hold: (r) => {
    r.word('cardStatus')
    if (
      !r.all('card').length &&
      !r.all('number4').length &&
      !r.all('alert').length &&
      r.recall.alertId !== undefined &&
      r.recall.alertId !== ITEM_ALERT &&
      (!r.recall.card ||
        // the thread is about the alert ("explain alert 6", then "hold that card")
        typeof r.recall.args?.alertId === 'number' ||
        r.recall.tool === listFraudAlerts.name) &&
      REFERS_BACK.test(r.text) &&
      // "the top alert", "the second one": the item the ordinal picks, below (its words read).
      (ordinalIndex(r.text) === undefined || !r.recall.alerts?.length)
    )
      return call(
        placeCardHold.name,
        { alertId: r.recall.alertId, reason: r.ownWords(verbEnd(r.text)) },
        r,
      )
    // "now hold the card on alert 11": the alert named beats the card the thread remembers.
    const itFirst = /^\s*(it|that card|this card|that one|this one|the same card)\b/i.test(
      r.text.slice(verbEnd(r.text)),
    )
    // "customer called at 1530 saying it was stolen, hold 4821": the card right after the verb.
    const afterVerb = r.slots.find(
      (s): s is Extract<Slot, { kind: 'card' | 'number4' }> =>
        (s.kind === 'card' || s.kind === 'number4') &&
        !r.used.has(s) &&
        verbEnd(r.text) > 0 &&
        s.start >= verbEnd(r.text) &&
        /^\s*(?:the\s+)?(?:card\s+)?(?:#\s*)?$/i.test(r.text.slice(verbEnd(r.text), s.start)),
    )
    if (afterVerb) r.use(afterVerb)
    let card = afterVerb ? afterVerb.value : itFirst ? r.card() : r.card({ recall: false })
    let alert = r.take('alert')
    if (!card && !alert) card = r.card()
    const top = r.take('top')
    // "hold the highest one", "freeze the top one": the first item the thread listed.
    const at = ordinalIndex(r.text)
    const listedAlert = !card && !alert ? nth(r.recall.alerts, at) : undefined
    if (listedAlert) alert = { kind: 'alert', value: listedAlert.alertId, start: 0, end: 0 }
    else if (!card && !alert && at !== undefined) card = nth(r.recall.cards, at)
    const reason = r.ownWords(
      Math.max(
        card
          ? (r.slots.find((s) => (s.kind === 'card' || s.kind === 'number4') && s.value === card)
              ?.end ?? 0)
          : 0,
        alert?.end ?? 0,
        verbEnd(r.text),
      ),
    )
    if (!card && !alert && top && /\balert\b/i.test(r.text) && !listedAlert) {
      // "hold the card from the top alert": list the open alerts, then hold the first one's card.
      return call(listFraudAlerts.name, { status: 'open', limit: 1 }, r, {
        intent: placeCardHold.name,
        followUp: {
          tools: [placeCardHold.name],
          derive: (results) => {
            const items = firstItems(results)
            const first = items[0] as { cardId?: string; alertId?: number } | undefined
            if (!first?.cardId) return 'There are no open fraud alerts, so I filed no hold.'
            return [
              {
                tool: placeCardHold.name,
                args: clean({
                  card: first.cardId,
                  alertId: undefined,
                  reason,
                }),
              },
            ]
          },
        },
      })
    }
    if (!card && !alert)
      return reply('Which card should be held? Give its id or last 4 digits.', 'clarify')
    return call(
      placeCardHold.name,
      { card, alertId: card ? undefined : alert?.value, reason: reason ?? reasonBefore(r) },
      r,
    )
  },
  release_card_hold: (r) => {
    r.word('cardStatus')
    r.word('holdStatus')
    if (/\ball\b.{0,10}\b(holds|cards)\b/i.test(r.text))
      return reply(
        'I release holds one card at a time, each with its own approval. Which card?',
        'clarify',
      )
    const card = r.card()
    if (!card)
      return reply('Which card should be released? Give its id or last 4 digits.', 'clarify')
    const anchor =
      r.slots.find((s) => (s.kind === 'card' || s.kind === 'number4') && s.value === card)?.end ?? 0
    return call(
      releaseCardHold.name,
      { card, reason: r.ownWords(Math.max(anchor, verbEnd(r.text))) ?? reasonBefore(r) },
      r,
    )
  },
  launch_campaign: (r) => {
    const id =
      r.take('campaign')?.value ??
      nth(r.recall.campaigns, ordinalIndex(r.text)) ??
      (/\b(it|that|this)\b/i.test(r.text)
        ? (r.recall.campaignId ?? r.recall.campaigns?.[0])
        : undefined)
    if (id === undefined)
      return reply(
        'Which campaign? Draft one first ("draft a campaign for dormant cards") and give me its number.',
        'clarify',
      )
    return call(launchCampaign.name, { campaignId: id }, r)
  },
}

/** The planner's segment words as draft_campaign's audience segments. */
const SEGMENTS: Record<string, string> = {
  gifter: 'holiday_gifter',
  holiday: 'holiday_gifter',
  birthday: 'birthday_occasional',
  corporate: 'corporate_bulk',
  self_use: 'self_use',
}

/** The person's words a pattern captures, verbatim, with every slot inside them set aside. */
function quoted(r: Reading, re: RegExp): string | undefined {
  const original = r.source.original
  const m = re.exec(original)
  const words = m?.[1]?.trim()
  if (!m || !words) return undefined
  const at = m.index + m[0].indexOf(words)
  for (const s of r.slots)
    if (r.source.at(s.end) > m.index && r.source.at(s.start) < at + words.length) r.used.add(s)
  return words
}

/** "the first one", "it", "that request": an approval the thread listed or filed. */
function approvalFromThread(r: Reading): number | undefined {
  const listed = nth(r.recall.approvals, ordinalIndex(r.text))
  if (listed !== undefined) return listed
  if (/\b(it|that|this|that one|that request|the request|my request)\b/i.test(r.text))
    return (
      r.recall.approvalId ?? (r.recall.approvals?.length === 1 ? r.recall.approvals[0] : undefined)
    )
  return undefined
}

/**
 * The person's reason stated before the order ("nvm she found it in her glovebox. release it"):
 * their words, verbatim, between any interjection and the verb.
 */
function reasonBefore(r: Reading): string | undefined {
  const verb =
    /\b(?:hold|freeze|block|lock|suspend|release|unfreeze|unblock|lift|unhold|put a hold|place a hold)\b/i.exec(
      r.source.original,
    )
  if (!verb || verb.index === 0) return undefined
  let words = r.source.original.slice(0, verb.index)
  words = words.replace(
    /^\s*(?:(?:nvm|never ?mind|ok(?:ay)?|so|actually|oh|oops|sorry|well|fine|right|hey|update)\b[\s,.!:;—–-]*)+/i,
    '',
  )
  words = words.replace(/(?:[\s,.;:!—–-]|\b(?:so|and|then|pls|please|can you|just))*$/i, '').trim()
  if (words.split(/\s+/).length < 3 || /\?/.test(words)) return undefined
  // "do you mind putting a hold on…": the polite form of the order.
  if (MIND.test(words.toLowerCase())) return undefined
  // "put 2660 on hold", "can you get gc_… on hold": the order itself, not a reason for it.
  if (
    /^(?:(?:please|pls|can you|could you|would you|go ahead and|i need you to|need to)\s+)*(?:put|place|get|set|have|keep|stick)\b/i.test(
      words,
    )
  )
    return undefined
  const at = r.source.original.indexOf(words)
  // The card being acted on inside those words makes them the order, not its reason.
  if (
    r.slots.some(
      (s) =>
        (s.kind === 'card' || s.kind === 'number4') &&
        r.used.has(s) &&
        r.source.at(s.start) >= at &&
        r.source.at(s.end) <= at + words.length,
    )
  )
    return undefined
  for (const s of r.slots)
    if (r.source.at(s.start) >= at && r.source.at(s.end) <= at + words.length) r.used.add(s)
  return words
}

/**
 * An alert named by its bare number ("dismiss 17 - …", "whats behind 38", "confirm 9."): a
 * number of one to three digits right after a verb of triage or explanation, or on its own with
 * "too" / "as well".
 */
function bareAlert(r: Reading): { value: number; end: number } | undefined {
  const m =
    /\b(?:dismiss(?:ed)?|confirm(?:ed)?|mark|triage|close|clear|resolve|explain|behind|about|on|worked|is|was|and|also|plus)\s+(?:alert\s+)?#?(\d{1,3})(?!\d|[.,]\d|[%$]|\s*(?:days?|d\b|hours?|h\b|hrs?|weeks?|wks?|months?|mos?|years?|yrs?|%|dollars|bucks|cards|alerts|stores|min\b|minutes))/i.exec(
      r.text,
    )
  if (!m) return undefined
  const start = m.index + m[0].lastIndexOf(m[1] as string)
  if (r.slots.some((s) => s.start < start + (m[1] as string).length && start < s.end))
    return undefined
  return { value: Number(m[1]), end: start + (m[1] as string).length }
}

/**
 * A span of several months said without a year ("december thru february", "jan-mar") whose end
 * has passed, read for a forecast: the same months of the coming year, as YYYY-MM.
 */
function aheadSpan(
  d: DateSlot | undefined,
  r: Reading,
  thisMonth: string,
): { from: string; to: string } | undefined {
  if (d?.kind !== 'range' || !d.from || !d.to) return undefined
  const words = r.quote(d.start, d.end)
  if (/\b(?:19|20)\d\d\b|\b(?:last|this|next) year\b|\bago\b/i.test(words)) return undefined
  const from = d.from.slice(0, 7)
  const to = d.to.slice(0, 7)
  if (from === to || to >= thisMonth) return undefined
  const shift = (m: string) => `${Number(m.slice(0, 4)) + 1}${m.slice(4)}`
  let [a, b] = [from, to]
  while (b < thisMonth) [a, b] = [shift(a), shift(b)]
  return { from: a, to: b }
}

function monthsAhead(periodTo: string, calendar: Calendar): number {
  const today = localDay(calendar.now, calendar.timezone)
  const [y, m] = today.split('-').map(Number) as [number, number]
  const [ty, tm] = periodTo.split('-').map(Number) as [number, number]
  return Math.min(36, Math.max(1, (ty - y) * 12 + (tm - m)))
}

function guessMetric(t: string): string | undefined {
  // "refund abuse alerts by month": alerts, whatever their rule is called.
  if (/\balerts?\b/.test(t) && !/\$|dollar|loss|lost|cost|how much/.test(t)) return 'fraud_alerts'
  if (/\bsold\b|\bsell\b|\bsales\b|\bissued\b/.test(t)) return 'cards_sold'
  if (/\bload/.test(t)) return 'value_loaded'
  if (/\bredeem|\bspent\b|\bspend\b/.test(t)) return 'redemptions'
  if (/\brefund/.test(t)) return 'refunds'
  if (/\bbreakage\b/.test(t)) return 'breakage_recognised'
  if (/\bfraud\b|\balerts?\b/.test(t))
    return /\$|dollar|loss|lost|cost|how much/.test(t) ? 'fraud_loss' : 'fraud_alerts'
  if (/\bholds?\b/.test(t)) return 'holds_active'
  if (/\bapprov/.test(t)) return 'approvals'
  if (
    /\bliabilit|\boutstanding\b|\bowe\b|\b(?:avg|average|mean|typical|total) (?:card )?balances?\b/.test(
      t,
    )
  )
    return 'liability'
  return undefined
}

/**
 * Whether words decide an alert as fraud or as a false positive: the first such word wins
 * ("dismiss…, they confirmed" dismisses). "confirm that they are…" is no decision.
 */
function alertDecision(words: string): 'confirmed' | 'dismissed' | undefined {
  const dismiss =
    /\b(dismiss(ed)?|false positives?|not fraud(ulent)?|legit(imate)?|benign|clear(ed)?|close(d)?( out)?|resolve(d)?|no fraud)\b/.exec(
      words,
    )
  const confirm =
    /\b(confirm(ed)? (it|them|this|that|those|these|alerts?|all|every|#?\d+|as)\b|^confirm\b|(is|are|as|real|actual|true) fraud\b|true positives?|fraudulent|(?<!not )confirmed\b)/.exec(
      words,
    )
  if (
    /\bconfirm(ed)? (that )?(all |the |these |those )?[\w ]{0,30}\b(are|is|were|was|have been)\b/.test(
      words,
    ) &&
    !dismiss
  )
    return undefined
  if (dismiss && (!confirm || dismiss.index < confirm.index)) return 'dismissed'
  return confirm ? 'confirmed' : undefined
}

function verbEnd(text: string): number {
  const m =
    /\b(?:hold|freeze|block|lock(?: down)?|suspend|release|unfreeze|unblock|lift|unhold|put a hold on|place a hold on)\b/i.exec(
      text,
    )
  return m ? m.index + m[0].length : 0
}

function firstItems(results: readonly ToolResult[]): unknown[] {
  const data = results[0]?.content.ok
    ? (results[0].content.data as { items?: unknown[] })
    : undefined
  return Array.isArray(data?.items) ? data.items : []
}

/** The most alerts one request may triage. */
export const BULK_LIMIT = 10

/** "dismiss all the refund abuse alerts from this week": list them, then one update per alert. */
function bulkTriage(
  r: Reading,
  status: 'confirmed' | 'dismissed',
  rule: string | undefined,
  note: string | undefined,
): Plan {
  const s = since(r)
  const store = oneStore(r)
  if (!rule && /\b(those|them|these)\b/i.test(r.text) && r.recall.alerts?.length) {
    const ids = r.recall.alerts.slice(0, BULK_LIMIT)
    const [first, ...rest] = ids.map((a) => ({
      tool: updateFraudAlert.name,
      args: clean({ alertId: a.alertId, status, note }),
    }))
    if (!first) return reply('Which alerts? List them first.', 'clarify')
    return call(first.tool, first.args, r, { also: rest, intent: updateFraudAlert.name })
  }
  return call(
    listFraudAlerts.name,
    { status: 'open', rule, location: store, ...s, limit: BULK_LIMIT },
    r,
    {
      intent: updateFraudAlert.name,
      followUp: {
        tools: [updateFraudAlert.name],
        derive: (results) => {
          const items = firstItems(results) as { alertId?: number }[]
          const ids = items
            .map((i) => i.alertId)
            .filter((id): id is number => typeof id === 'number')
          if (ids.length === 0) return 'No open alerts match, so nothing was changed.'
          return ids.slice(0, BULK_LIMIT).map((alertId) => ({
            tool: updateFraudAlert.name,
            args: clean({ alertId, status, note }),
          }))
        },
      },
    },
  )
}

function renormalised(intents: Intent[]): Intent[] {
  const total = intents.reduce((s, i) => s + i.score, 0)
  return total > 0 ? intents.map((i) => ({ intent: i.intent, score: i.score / total })) : intents
}

/** Follow-ups that only change an argument: "and Texas?", "what about the next 6 months?". */
const FOLLOW_UP =
  /^(and|what about|how about|same for|same but|same thing|now|also|then|vs\.?|versus|only|just|compare (that|it|this) (with|to|against)|sort|order|limit|filter|group|top \d+|bottom \d+|flip|reverse|make it|change it|switch|instead|now for|lowest first|highest first|break (it|that|them) (down|out)|those|these|them|the ones|ones|as (a )?csv|in csv|(?:split |broken down |break (?:it|that) (?:out|down) )?by (store|state|month|week|day|quarter|rule|channel|occasion|segment|cohort|jurisdiction|location))\b/i

/** The reply for a greeting, thanks or sign-off. */
function smalltalk(text: string): string {
  const t = text.toLowerCase()
  if (
    /\b(thx|thanks|thank|ty|cheers|appreciate|perfect|great|awesome|nice|cool|got it|ok|okay|kk|k)\b/.test(
      t,
    )
  )
    return "You're welcome. Anything else?"
  if (/\b(bye|later|cya|see you|good night|gn)\b/.test(t)) return 'Bye for now.'
  if (/\b(how are you|how's it going|hows it going|sup|what's up|whats up)\b/.test(t))
    return 'All good here, and the ledger is up to date. What do you need?'
  return 'Hi! Ask me about a card, liability, fraud alerts, holds or any everyday figure.'
}

function approveInstruction(r: Reading): Plan {
  const id =
    r.take('approval')?.value ?? /#(\d+)/.exec(r.text)?.[1] ?? /\b(\d{1,6})\b/.exec(r.text)?.[1]
  return reply(
    `Approvals are decided by a manager other than the requester: with the buttons on the approval card in Slack, or \`giftcards approvals approve ${id ?? 'ID'}\` from the manager's own login (in the terminal chat: /approve ${id ?? 'ID'}).`,
    'approve_instruction',
  )
}

const HOLD_FAMILY = new Set<string>([listCardHolds.name, placeCardHold.name, releaseCardHold.name])
const CAMPAIGN_FAMILY = new Set<string>([
  listCampaigns.name,
  launchCampaign.name,
  draftCampaign.name,
])
const ALERT_FAMILY = new Set<string>([
  listFraudAlerts.name,
  explainFraudAlert.name,
  updateFraudAlert.name,
  scanForFraud.name,
])
const RELEASE_VERB =
  /^(release|unfreeze|unblock|unlock|lift|unhold|remove|take|end|cancel|reactivate)\b/
const TRIAGE_AT_END =
  /(?:[-–—,;:]|\bso)\s*(dismiss|confirm|close|clear)(?: it| that| this one)?[\s.!]*$/i

/**
 * Within a family of tools (holds, campaigns, alerts) the mood decides what bag-of-words cannot:
 * an imperative acts, a question reads. An approval number named in a question means that
 * approval.
 */
function byMood(intent: string, text: string, r: Reading): string {
  const t = text.trim().toLowerCase()
  const imperative = isImperative(t) && !isQuestion(t)
  const verb = t.replace(
    /^(?:(?:ok|okay|yes|pls|please|plz|can you|could you|i need you to|go ahead and|now|also|then|and|actually|oh|oops|nvm|so|fine|right)[,!.]?\s+)*/,
    '',
  )
  if (
    HOLD_FAMILY.has(intent) &&
    /\b(release|lift|remove|unfreeze|unblock)\b.{0,10}\ball\b.{0,10}\b(holds|cards)\b|\ball (the )?holds\b.{0,15}\b(release|lift|off)\b/.test(
      t,
    )
  )
    return releaseCardHold.name
  if (HOLD_FAMILY.has(intent) && imperative)
    return RELEASE_VERB.test(verb)
      ? releaseCardHold.name
      : /^(hold|freeze|block|lock|suspend|stop|put|place)\b/.test(verb)
        ? placeCardHold.name
        : intent
  if (
    CAMPAIGN_FAMILY.has(intent) &&
    imperative &&
    /^(launch|send|ship|start|kick|go|fire|push|submit|put|file)\b/.test(verb) &&
    (r.all('campaign').length || /\b(it|that|this|the) (one|campaign)?\b/.test(t))
  )
    return launchCampaign.name
  if (
    ALERT_FAMILY.has(intent) &&
    (TRIAGE_AT_END.test(t) ||
      (imperative && /^(dismiss|confirm|mark|close|clear|resolve|triage)\b/.test(verb)))
  )
    return updateFraudAlert.name
  if (
    r.all('approval').length &&
    ![listApprovals.name, getAuditLog.name, 'approve_instruction'].includes(intent)
  )
    return /\b(audit|log|trail|who (requested|filed|asked))\b/.test(t)
      ? getAuditLog.name
      : listApprovals.name
  if (intent === listApprovals.name && /\bwho (requested|filed|asked for)\b/.test(t))
    return getAuditLog.name
  return intent
}

/** A question about a write is answered by the read that knows: never by filing the write. */
function asQuestion(intent: string, r: Reading): string {
  // "should we hold 8345?", "worth freezing it?": the evidence on the card, to judge by.
  if (
    (intent === placeCardHold.name || intent === listCardHolds.name) &&
    /\b(should|shall|worth|think|needs?|ought|recommend|advisable|do we want)\b/i.test(r.text) &&
    /\b(hold|holding|freeze|freezing|block|lock)\b/i.test(r.text) &&
    !/\b(is|are) (?:there|it|the card) (?:a |any |on )?holds?\b|\bwho\b/i.test(r.text) &&
    (r.all('card').length > 0 || r.all('number4').length > 0 || r.recall.card)
  )
    return explainFraudAlert.name
  if (intent === placeCardHold.name || intent === releaseCardHold.name) return listCardHolds.name
  if (intent === launchCampaign.name) return listCampaigns.name
  if (intent === updateFraudAlert.name)
    return r.all('alert').length ? explainFraudAlert.name : listFraudAlerts.name
  return intent
}

const STORE_WORDS = new WeakMap<Vocabulary, Set<string>>()

/** The words of the chain's store names: never "corrected" into other words. */
function storeWords(vocabulary: Vocabulary): Set<string> {
  let words = STORE_WORDS.get(vocabulary)
  if (!words) {
    words = new Set(
      vocabulary.stores.flatMap((s) => s.name.toLowerCase().split(/[^a-z]+/)).filter(Boolean),
    )
    STORE_WORDS.set(vocabulary, words)
  }
  return words
}

/** A request read: its spelling corrected, its slots found, what follows "except" set apart. */
function readRequest(original: string, recall: Recall, ctx: PlannerContext): Reading {
  const known = storeWords(ctx.vocabulary)
  // A word the corpus uses often is a word; a rare or unknown one may be a misspelling of a
  // domain word ("liabilty") or of a corpus word.
  const source = correctText(original, (w) => {
    if (known.has(w)) return w
    // "quarters", "dismissing", "flagged": an inflection of a word the corpus or the domain knows
    // is a word, not a typo of it (correcting it would lose the plural a period rests on).
    const stem = /^(.{3,}?)(?:es|s|ed|ing|ly)$/.exec(w)?.[1]
    if (
      stem &&
      [stem, `${stem}e`].some((x) => DOMAIN_SET_ALL.has(x) || ctx.classifier.frequency(x) >= 2)
    )
      return w
    const domain = domainWord(w, known)
    const seen = ctx.classifier.frequency(w)
    // A domain word far commoner than the word written is what was meant ("liabilty").
    if (domain && seen * 10 < ctx.classifier.frequency(domain) + 10) return domain
    if (seen >= 2) return w
    if (ctx.classifier.knows(w)) return w
    return ctx.classifier.correct(w)
  })
  const text = source.text
  // One reading of the clock for the slots and the arguments alike (a request at midnight).
  const calendar = calendarOf(ctx.vocabulary)
  const slots = readSlots(text, ctx.vocabulary, calendar)
  const r = new Reading(source, slots, calendar, recall)
  // "except online", "without Texas": no tool excludes, so what follows is named, not applied.
  for (const m of text.matchAll(
    /\b(?:except|excluding|exclude|other than|besides|without|not including|but not)\s+/gi,
  )) {
    const after = m.index + m[0].length
    for (const s of slots) if (s.start >= after && s.start <= after + 25) r.used.add(s)
  }
  return r
}

function planOne(original: string, recall: Recall, ctx: PlannerContext): Plan {
  return planReading(readRequest(original, recall, ctx), ctx)
}

/**
 * "the downtown store" when the chain has several downtown stores: which one, as a question
 * naming them (never a guess). Undefined when the words name one store.
 */
function ambiguousBranch(text: string, vocabulary: Vocabulary): string | undefined {
  const m =
    /\b(?:the\s+)?(downtown|mall|uptown|midtown)\s+(?:store|location|branch|shop|one)\b/i.exec(text)
  if (!m) return undefined
  const branch = (m[1] as string).toLowerCase()
  const before = text.slice(0, m.index).toLowerCase()
  const named = vocabulary.stores.filter((s) => s.name.toLowerCase().endsWith(` ${branch}`))
  // "the boston downtown store", "NY downtown": a city before the branch names it.
  if (
    named.length < 2 ||
    named.some((s) => before.trimEnd().endsWith(s.name.toLowerCase().replace(` ${branch}`, '')))
  )
    return undefined
  return `Which ${branch} store do you mean: ${named.map((s) => s.name).join(', ')}?`
}

/** "boston" answering "which downtown store?": the request asked before, with that store. */
function answeredBranch(r: Reading, ctx: PlannerContext): Plan | undefined {
  const asked = r.recall.lastAsk
  if (!asked || r.recall.tool || r.text.trim().split(/\s+/).length > 3) return undefined
  const m =
    /\b(?:the\s+)?(downtown|mall|uptown|midtown)\s+(store|location|branch|shop|one)\b/i.exec(asked)
  if (!m || !ambiguousBranch(asked, ctx.vocabulary)) return undefined
  const branch = (m[1] as string).toLowerCase()
  const said = r.text
    .trim()
    .toLowerCase()
    .replace(/[?.!]+$/, '')
  const store = ctx.vocabulary.stores.find(
    (s) =>
      s.name.toLowerCase().endsWith(` ${branch}`) &&
      s.name
        .toLowerCase()
        .replace(` ${branch}`, '')
        .startsWith(said.replace(/\s+(?:downtown|mall|dt)$/, '')),
  )
  if (!store) return undefined
  const again = `${asked.slice(0, m.index)}${store.name} ${m[2]}${asked.slice(m.index + m[0].length)}`
  return planReading(readRequest(again, { ...r.recall, lastAsk: undefined }, ctx), ctx)
}

/** The plan for a request already read: its intent, then the builder of that intent's tool. */
function planReading(r: Reading, ctx: PlannerContext): Plan {
  const { text, slots, recall } = r
  const which = ambiguousBranch(text, ctx.vocabulary)
  // (a store read with its city, "NY Downtown", answers which one)
  const storeNamed = r.all('store').some((s) => {
    const q = r.quote(s.start, s.end)
    return (
      !/downtown|mall/i.test(q) ||
      /\b(?!the\b|a\b|our\b|that\b|this\b)[a-z]+\s+(?:downtown|mall)\b/i.test(q)
    )
  })
  if (which && !storeNamed) {
    if (!isHowTo(text.toLowerCase())) return reply(which, 'clarify')
  }
  const answer = answeredBranch(r, ctx)
  if (answer) return answer
  const classified = ctx.classifier.classify(text, slots)
  const t = text.trim().toLowerCase()
  // Refusals and the approval instruction are rules; the classifier decides everything else.
  const policy = policyIntent(t)
  const ranked: Intent[] = policy
    ? [{ intent: policy, score: 1 }, ...classified.filter((c) => c.intent !== policy)]
    : renormalised(classified.filter((c) => !isPolicyIntent(c.intent)))
  const best = ranked[0] ?? { intent: 'help', score: 0 }
  let intent = best.intent
  // How the product works is answered in words, by rule: no tool is called for it (and a guess
  // of it the rule does not share falls to the next best intent).
  if (!policy && isHowTo(t)) return reply(howToAnswer(t), 'howto')
  if (intent === 'howto') intent = ranked.find((i) => i.intent !== 'howto')?.intent ?? 'help'
  // An order to act is not small talk: "ok hold that card, looks like a bot".
  let ordered = false
  if (!policy && REPLY_INTENT_SET.has(intent) && isImperative(t) && !isQuestion(t)) {
    const family = writeOf(
      t.replace(/^(?:(?:ok|okay|yes|yeah|so|then|and|actually|now)[,!.]?\s+)*/, ''),
    )
    if (family) intent = family
  }
  // "do it", "go ahead", "yes please": the write the person's last message asked about.
  if (!policy && GO_AHEAD.test(t) && recall.lastAsk) {
    const asked = writeOf(recall.lastAsk.toLowerCase(), true)
    if (asked) {
      intent = asked
      ordered = true
    }
  }
  // "whats the first one about" after a list of approvals: that approval.
  if (
    !policy &&
    !ordered &&
    recall.tool === listApprovals.name &&
    recall.approvals?.length &&
    ordinalIndex(t) !== undefined &&
    !/\b(audit|log|trail)\b/.test(t) &&
    !isImperative(t)
  )
    intent = listApprovals.name

  // Follow-ups change the last call's arguments when the words are only new constraints.
  const bare = withoutInterjection(t).replace(
    /^(?:ok(?:ay)?|so|right|cool|great|thanks|thx)[,!.]?\s+/,
    '',
  )
  if (
    recall.tool &&
    !ordered &&
    !isImperative(t) &&
    !policy &&
    (FOLLOW_UP.test(bare) ||
      best.score < CONFIDENCE_FLOOR ||
      r.all('csv').length > 0 ||
      // Words that name no tool of their own only change the last call: "florida only".
      (!TOOL_NOUNS.test(t) && !READ_VERB.test(bare))) &&
    t.split(/\s+/).length <= 8
  ) {
    const f = changeLastCall(r, recall)
    if (f) return f
  }
  const cue =
    slots.length > 0 ||
    text
      .toLowerCase()
      .split(/[^a-z]+/)
      .some((w) => (DOMAIN_WORDS.includes(w) || LEDGER_NOUNS.has(w)) && !GENERIC_WORDS.has(w))
  if (!cue && best.score < 0.9 && !REPLY_INTENT_SET.has(best.intent) && !recall.tool) {
    return reply(`I'm not sure what you need. ${HELP}`, 'clarify')
  }
  // Unsure, but the request names the very thing the best guess reports: that is what it wants.
  const named = NAMED_BY[best.intent]
  if (best.score < CONFIDENCE_FLOOR && best.score >= NAMED_FLOOR && named?.test(t)) {
    // fall through to the builder of the best guess
  } else if (best.score < CONFIDENCE_FLOOR) {
    // Words the classifier is unsure of but that name one card: it is a lookup.
    // So is one written out in full (gc_…) in a longer message: "can you see if it was ever used?"
    const cards = r.all('card')
    if (
      cards.length === 1 &&
      (t.split(/\s+/).length <= 3 || (cards[0]?.kind === 'card' && /^gc_/i.test(cards[0].value)))
    )
      return BUILDERS.get_gift_card!(r)
    const second = ranked[1]
    const words = (i: string) => TOOL_WORDS[i] ?? i.replaceAll('_', ' ')
    return reply(
      second
        ? `I'm not sure what you need: should I ${words(best.intent)} or ${words(second.intent)}? Say a little more (e.g. a card id, a store or a date).`
        : `I'm not sure what you need. ${HELP}`,
      'clarify',
    )
  }
  // An imperative triage verb with alerts is triage, whatever the words around it.
  if (
    /^\s*(?:please\s+|pls\s+|can you\s+|go ahead and\s+)?(dismiss|confirm|mark|close out|clear|resolve)\b.*\balerts?\b/i.test(
      text,
    ) &&
    !policy
  )
    intent = updateFraudAlert.name
  // "and confirm 9, no legit reason": an order to triage a numbered (or remembered) alert.
  if (
    !policy &&
    isImperative(t) &&
    /^(?:(?:and|also|ok|okay|then|now|pls|please|so)[,]?\s+)*(dismiss|confirm|mark)\b/.test(t) &&
    (r.all('alert').length > 0 || bareAlert(r) !== undefined || recall.alertId !== undefined)
  )
    intent = updateFraudAlert.name
  // "how many open alerts at texas stores": a count, from the metrics (the alerts tool counts
  // them by store or rule).
  if (
    intent === listFraudAlerts.name &&
    /\b(how many|number of|count of|total)\b.{0,30}\balerts?\b/.test(t) &&
    !r.all('rule').length &&
    !r.all('score').length &&
    !r.all('groupBy').length &&
    !/\b(each|per|which|what)\b/.test(t)
  )
    intent = ledgerMetrics.name
  // "top 5 balances in CA": the cards with the biggest balances, not the liability.
  if (
    intent === getLiability.name &&
    /\b(?:top|biggest|largest|highest|fattest|richest)\s+(?:\d+\s+|\w+\s+)?(?:card\s+)?balances\b/.test(
      t,
    ) &&
    !/\b(liabilit\w*|owe|outstanding)\b/.test(t)
  )
    intent = searchGiftCards.name
  // "who's been requesting holds": the audit trail of those requests.
  if (
    /\bwho(?:'s| is| has| have|'ve)? (?:been )?(?:request|fil|ask)\w*\b.{0,20}\b(holds?|releases?|launch\w*)\b/.test(
      t,
    ) &&
    !r.all('card').length &&
    !r.all('number4').length
  )
    intent = getAuditLog.name
  // "any holds at jersey city?": the held cards of that store (holds are listed by card).
  if (
    intent === listCardHolds.name &&
    r.all('store').length &&
    !r.all('card').length &&
    !r.all('number4').length
  )
    intent = searchGiftCards.name
  // "refunds at san antonio this yr": a figure named, and no alert, is a metric.
  if (intent === listFraudAlerts.name && r.all('metric').some((m) => m.value === 'fraud_loss'))
    intent = ledgerMetrics.name
  if (
    intent === listFraudAlerts.name &&
    r.all('metric').some((m) => m.value !== 'fraud_alerts') &&
    !r.all('rule').length &&
    !/\b(alerts?|flag\w*|fraud)\b/.test(t)
  )
    intent = ledgerMetrics.name
  // "NY vs CA redemptions": a figure the words name that is not liability is a metric.
  if (
    intent === getLiability.name &&
    r.all('metric').some((m) => m.value !== 'liability') &&
    !/\b(liabilit\w*|owe|outstanding|float)\b/.test(t)
  )
    intent = ledgerMetrics.name
  if (
    !HOLD_FAMILY.has(intent) &&
    !policy &&
    /\bhow many\b.{0,40}\b(frozen|on hold|held|locked|holds?)\b/.test(t) &&
    !r.all('store').length &&
    !r.all('state').length &&
    !r.all('groupBy').length &&
    !r.all('date').length
  )
    intent = listCardHolds.name
  // "dismissed alerts over the past 90 days": the alerts themselves, unless a count or a
  // breakdown is asked for.
  if (
    intent === ledgerMetrics.name &&
    /\balerts?\b/.test(t) &&
    r.all('metric').every((m) => m.value === 'fraud_alerts') &&
    r.all('word').some((w) => w.group === 'alertStatus') &&
    !r.all('groupBy').length &&
    !r.all('csv').length &&
    !/\b(how many|number of|count|total|sum|trend|per|each)\b/.test(t) &&
    // The alerts tool has no end date: a closed window ("in october") stays a metric.
    !r.all('date').some((d) => d.value.quarter || (d.value.kind === 'range' && d.value.to))
  )
    intent = listFraudAlerts.name
  // "is it live yet?" after a campaign was drafted or launched: the campaigns, not a hold.
  if (
    !policy &&
    recall.tool !== undefined &&
    CAMPAIGN_FAMILY.has(recall.tool) &&
    isQuestion(text) &&
    /\b(live|launched|gone out|go out|went out|sent|running|approved)\b/.test(t) &&
    !r.all('card').length &&
    !r.all('number4').length
  )
    intent = listCampaigns.name
  // "active holds, just the last 5", "how many cards are frozen": the holds themselves (their
  // list says how many are active); a breakdown of them by store or month is a metric.
  if (
    intent === ledgerMetrics.name &&
    r.all('metric').every((m) => m.value === 'holds_active') &&
    r.all('metric').length > 0 &&
    !r.all('groupBy').length &&
    !r.all('csv').length
  )
    intent = listCardHolds.name
  // "the breakage we recognised last month": what the ledger recognised, not a forecast.
  if (
    intent === forecastBreakage.name &&
    r.all('metric').some((m) => m.value === 'breakage_recognised') &&
    !/\b(forecast\w*|project\w*|expect\w*|predict\w*|will|would|going to|next|coming|ahead)\b/.test(
      t,
    ) &&
    !r.all('date').some((d) => (d.value.from ?? '') > localDay(r.calendar.now, r.calendar.timezone))
  )
    intent = ledgerMetrics.name
  // "what we owe in NY compared to CA": liability, unless the words are about escheatment.
  if (
    intent === escheatmentReport.name &&
    r.all('metric').some((m) => m.value === 'liability') &&
    !/\b(escheat\w*|unclaimed|dormancy|reportable|report(?:ing)? (?:due|deadline)|remit\w*|turn(?:ed)? over|hand(?:ed)? over)\b/.test(
      t,
    )
  )
    intent = getLiability.name
  // "approvals submitted by slack:U123": one list named, and another list guessed, is the one
  // named (the words around it were learned from the other list's requests).
  const listNamed = LIST_NOUNS.filter((l) => l.re.test(t))
  if (
    !policy &&
    listNamed.length === 1 &&
    LIST_NOUNS.some((l) => l.tool === intent) &&
    listNamed[0]?.tool !== intent
  )
    intent = listNamed[0]?.tool ?? intent
  // "actually release it, manager confirmed it's the customer's own card": the order's own verb
  // decides which write it is, not a verb inside its reason.
  if (!policy && !ordered && isImperative(t)) {
    const opening = withoutMind(
      t.replace(
        /^(?:(?:ok|okay|yes|yeah|so|then|and|actually|now|also|pls|please|right|great|fine|alright)[,!.]?\s+)*/,
        '',
      ),
    )
    const own = writeOf(opening)
    if (own && own !== intent) intent = own
  }
  // "any expired cards out there?": a status that cards and approvals share, said of cards.
  if (
    intent === listApprovals.name &&
    /\bcards?\b/.test(t) &&
    !/\b(approv\w*|requests?|sign-?offs?|pending|decisions?)\b/.test(t)
  )
    intent = searchGiftCards.name
  // "affinity for redemptions": the tool named by its own word.
  if (!policy && /\baffinit(?:y|ies)\b|\bbasket analysis\b/.test(t)) intent = productAffinity.name
  // "how much breakage do we book between Jan and Jun 2027": journals are of closed months;
  // breakage in months ahead is the forecast's.
  if (
    intent === prepareJournalEntries.name &&
    r
      .all('date')
      .some(
        (d) => (d.value.from ?? d.value.to ?? '') > localDay(r.calendar.now, r.calendar.timezone),
      )
  )
    intent = forecastBreakage.name
  // "breakage we would book in march 2027": breakage in months ahead is the forecast's.
  if (
    intent === ledgerMetrics.name &&
    (r.all('metric').some((m) => m.value === 'breakage_recognised') ||
      (/\bbreakage\b/.test(t) && !r.all('metric').length)) &&
    r.all('date').some((d) => (d.value.from ?? '') > localDay(r.calendar.now, r.calendar.timezone))
  )
    intent = forecastBreakage.name
  // "the bulk_purchase ones since august": a detector named is about its alerts.
  if (
    !policy &&
    r.all('rule').length > 0 &&
    // not "balance check 9931" (a card's lookup) nor a rule inside a hold's reason
    !r.all('card').length &&
    !r.all('number4').length &&
    !r.all('alert').length &&
    !WRITES.has(intent) &&
    !ALERT_FAMILY.has(intent) &&
    intent !== ledgerMetrics.name &&
    intent !== scanForFraud.name &&
    !REPLY_INTENT_SET.has(intent)
  )
    intent = listFraudAlerts.name
  // "how many alerts are open right now": the open alerts (their list says how many), unless a
  // place, a window or a breakdown makes it a metric.
  if (
    intent === ledgerMetrics.name &&
    /\b(how many|number of|count of)\b.{0,30}\balerts?\b.{0,20}\bopen\b|\bhow many open alerts\b(?!.*\b(at|in|for|by|per|since|from)\b)/.test(
      t,
    ) &&
    !r.all('store').length &&
    !r.all('state').length &&
    !r.all('date').length &&
    !r.all('groupBy').length &&
    !r.all('rule').length
  )
    intent = listFraudAlerts.name
  intent = byMood(intent, text, r)
  if (
    (WRITES.has(intent) || intent === updateFraudAlert.name || intent === listCardHolds.name) &&
    !ordered &&
    (isQuestion(text) || !isImperative(text))
  )
    intent = asQuestion(intent, r)
  // A message around one card written out in full ("a regular says gc_… never worked, can you
  // see if it was ever used?") is about that card, whatever else it says.
  if (
    !policy &&
    (intent === 'help' || intent === 'smalltalk') &&
    r.all('card').length === 1 &&
    /\bgc_[0-9a-f]{4,}/i.test(text) &&
    t.split(/\s+/).length > 3
  )
    intent = getGiftCard.name
  if (intent === 'smalltalk') return reply(smalltalk(text), 'smalltalk')
  if (intent === 'approve_instruction') return approveInstruction(r)
  if (
    intent === 'help' &&
    !/\b(help|what can (you|u|i)|who are you|how (do|does) (this|you|it) work|commands|options|capabilit|what do you do)\b/.test(
      t,
    )
  )
    return reply(`I'm not sure what you need. ${HELP}`, 'help')
  if (
    intent === 'refuse_money' &&
    /\b(refund|cash ?out|chargeback|money back|reimburse|pay back)\b/.test(t)
  )
    return reply(
      "I can't refund or cash out cards: that is done at the POS. I can look the card up or request a hold.",
      intent,
    )
  const words = REPLIES[intent]
  if (words) return reply(words, intent)
  const build = BUILDERS[intent]
  if (!build) return reply(`I'm not sure what you need. ${HELP}`, 'clarify')
  const plan = build(r)
  if (plan.kind === 'call') {
    plan.confidence = best.score
    if (plan.intent === plan.tool) plan.intent = intent
  }
  return plan
}

/** Below the confidence floor, a guess is still taken when the request names what it reports. */
const NAMED_FLOOR = 0.15
const NAMED_BY: Record<string, RegExp> = {
  get_liability: /\b(liabilit\w*|owe|float|outstanding balances?)\b/,
  forecast_breakage: /\b(forecast\w*|breakage (?:forecast|projection|outlook))\b/,
  list_fraud_alerts: /\b(fraud )?alerts\b/,
  escheatment_report: /\b(escheat\w*|unclaimed)\b/,
  list_card_holds: /\bholds\b/,
  list_campaigns: /\bcampaigns\b/,
  list_approvals: /\bapprovals\b/,
  get_audit_log: /\baudit\b/,
  find_dormant_cards: /\b(dormant|idle)\b/,
  product_affinity: /\baffinity\b/,
  scan_for_fraud: /\b(scan|sweep)\b/,
}

/** "do it", "go ahead", "yes please do": an order that points at what was just asked about. */
const GO_AHEAD =
  /^(?:(?:ok|okay|yes|yeah|yep|sure|fine|alright|right|great)[,.!]?\s+)*(?:(?:then|pls|please)\s+)?(?:do it|go ahead|go for it|do that|make it so|proceed|yes(?:,)? (?:please|do it))\b/i

/**
 * The write an order (or, with `asked`, a question about one) is about, by its verb: "hold",
 * "release", "dismiss" or "confirm", "launch".
 */
function writeOf(t: string, asked = false): string | undefined {
  const release =
    /\b(release|unfreeze|unblock|unlock|lift|unhold|take (?:the |it |that )?(?:hold )?off)\b/
  const hold = /\b(hold|freeze|block|lock|suspend|on ice)\b/
  const triage = /\b(dismiss|confirm|false positive|mark (?:it|that|this|alert))\b/
  const launch = /\b(launch|send (?:it|that|this) (?:out|up)|go live)\b/
  const opening = (re: RegExp) =>
    asked
      ? re.test(t)
      : new RegExp(`^(?:(?:pls|please|can you|just|go ahead and)\\s+)?${re.source}`).test(t)
  if (opening(release)) return releaseCardHold.name
  if (opening(triage)) return updateFraudAlert.name
  if (opening(launch)) return launchCampaign.name
  if (opening(hold) || (!asked && /^(?:put|place|slap)\b.{0,30}\bhold\b/.test(t)))
    return placeCardHold.name
  return undefined
}

/** Nouns that name what a request is about: a message without one only narrows the last call. */
const TOOL_NOUNS =
  /\b(liabilit\w*|alerts?|fraud|forecast\w*|breakage|holds?|campaigns?|approvals?|audit|log|escheat\w*|dormant|idle|segments?|purchasers|affinity|upsell|redemptions?|redeemed|refunds?|loads?|loaded|sold|sales|scan\w*|balances?|cards?|metrics?|transactions?|txns?|history|owe|float)\b/i

/** Tools whose arguments a follow-up may change, and the arguments each slot sets. */
function changeLastCall(r: Reading, recall: Recall): Plan | undefined {
  const tool = recall.tool as string
  // "can i get that as a csv" after liability: the same figure from the metrics, as CSV.
  if (tool === getLiability.name && r.all('csv').length) {
    const prior = recall.args ?? {}
    r.take('csv')
    const group =
      typeof prior.groupBy === 'string' && prior.groupBy !== 'total' ? prior.groupBy : undefined
    return call(
      ledgerMetrics.name,
      clean({
        metric: 'liability',
        by: group && METRIC_DIMS.has(group) ? [group] : undefined,
        jurisdiction: prior.jurisdiction,
        location: prior.location,
        to: prior.asOf,
        format: 'csv',
      }),
      r,
    )
  }
  const build = BUILDERS[tool]
  if (!build || WRITES.has(tool)) return undefined
  const prior = recall.args ?? {}
  const fresh = build(new Reading(r.source, r.slots, r.calendar, recall))
  if (fresh.kind !== 'call' || fresh.tool !== tool) return undefined
  const changed = Object.keys(fresh.args).filter(
    (k) =>
      JSON.stringify(fresh.args[k]) !== JSON.stringify(DEFAULTS[tool]?.[k]) &&
      JSON.stringify(fresh.args[k]) !== JSON.stringify(prior[k]),
  )
  if (changed.length === 0) return undefined
  const args: Record<string, unknown> = { ...prior }
  for (const k of changed) args[k] = fresh.args[k]
  // "split by channel too": a dimension added to those already there.
  if (
    changed.includes('by') &&
    Array.isArray(prior.by) &&
    /\b(too|also|as well|plus|additionally|and by|add)\b/i.test(r.text)
  )
    args.by = [...new Set([...(prior.by as string[]), ...(fresh.args.by as string[])])].slice(0, 2)
  // "vs jersey" after New York: both states side by side.
  if (
    tool === getLiability.name &&
    (/^\s*(?:and\s+)?(?:vs\.?|versus|compared (?:to|with)|against)\b/i.test(r.text) ||
      // "put MA next to it", "add jersey alongside", "show CA beside that"
      /\b(?:next to|beside|alongside|side by side with|along ?side)\b|^\s*(?:and\s+)?(?:add|include|plus|also)\b/i.test(
        r.text,
      )) &&
    typeof prior.jurisdiction === 'string' &&
    typeof fresh.args.jurisdiction === 'string'
  ) {
    return {
      ...fresh,
      args: clean({
        ...prior,
        jurisdiction: undefined,
        jurisdictions: [prior.jurisdiction, fresh.args.jurisdiction],
        groupBy: 'jurisdiction',
      }),
      intent: tool,
    }
  }
  // A new place replaces the old one.
  if (changed.includes('jurisdiction') || changed.includes('jurisdictions')) {
    if (!changed.includes('location')) delete args.location
    if (!changed.includes('jurisdictions')) delete args.jurisdictions
    if (!changed.includes('jurisdiction')) delete args.jurisdiction
  }
  if (changed.includes('location') && !changed.includes('jurisdiction')) delete args.jurisdiction
  if (
    tool === getLiability.name &&
    (args.jurisdiction || args.jurisdictions) &&
    args.groupBy === 'jurisdiction' &&
    !changed.includes('groupBy')
  )
    args.groupBy = args.jurisdictions ? 'jurisdiction' : 'total'
  return { ...fresh, args: clean(args), intent: tool }
}

/** What each builder sets when the words say nothing (a follow-up changes only the rest). */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  get_liability: { groupBy: 'total' },
  forecast_breakage: { horizonMonths: 12 },
  list_fraud_alerts: { status: 'open' },
  scan_for_fraud: { days: 30 },
  escheatment_report: { horizonMonths: 6 },
  recommend_upsell: { totalCents: 5000, items: [], priorVisits: 0 },
  segment_purchasers: { by: 'both' },
  product_affinity: { context: 'redeemed_with', level: 'category' },
}

/** Clause breaks where a request asks for a second thing. */
const ASK =
  '(?:what|which|how|who|show|list|give|tell|forecast|find|pull|get|check|is|are|any|do|did|run|scan|draft|hold|freeze|block|lock|release|lift|unfreeze|confirm|dismiss|explain|put|place|count|also|then|if|segment|escheat|report|break|compare|look|launch|send|redemptions|refunds|loads|liability|breakage|value|cards sold|holds|approvals|fraud|alerts|dormant|escheatment|number of|count of|total)'
const CLAUSE_BREAK = new RegExp(
  `\\s*(?:;|\\?\\s+(?=\\S)|\\.\\s+(?=[a-z])|,?\\s+(?:and then|then|and also|also|plus|as well as)\\s+|,\\s+(?=(?:and\\s+)?${ASK}\\b)|\\s+and\\s+(?=(?:the\\s+|me\\s+)?${ASK}\\b))\\s*`,
  'i',
)

/** Below this an ask inside a longer message is not planned apart (the whole is, instead). */
const MULTI_PART_FLOOR = 0.3

/** The most separate asks one message may make. */
export const MAX_PARTS = 3

/** Words in a later ask that mean the items an earlier ask listed. */
const REFERS_TO_RESULTS =
  /\b(those|these|them|each of them|every one|all of them|them all|the top one|the first one|the top (?:\d+|three|two|five)|their cards|those cards|the cards on them|every card on them|each card|which of (?:those|them))\b/i
const LISTS = new Set<string>([
  listFraudAlerts.name,
  searchGiftCards.name,
  findDormantCards.name,
  listCardHolds.name,
  listApprovals.name,
])
/** A condition a person must judge: the planner never files a write on it. */
const JUDGEMENT =
  /^if\s+(?:it|they|this|that|the card|the alert)\s+(?:looks?|seems?|is|are|'s)\s+(?:real|legit|fraud|fraudulent|bad|suspicious|dodgy|off|wrong)\b/i
const IF_SO =
  /^(?:and\s+)?if\s+(?:so|yes|any|there (?:are|is) (?:any|some|one)|found|they exist)\b[,\s]*/i
const IF_NOT =
  /^(?:and\s+)?(?:if\s+not|otherwise|if there (?:isn'?t|is no|are no|aren'?t)(?: one| any)?|if none)\b[,\s]*/i

type CallPlan = Extract<Plan, { kind: 'call' }>

function itemsOf(results: readonly ToolResult[], tool: string): Record<string, unknown>[] {
  const r = results.find((x) => x.tool === tool && x.content.ok)
  const data = r?.content.data as { items?: unknown[] } | undefined
  return Array.isArray(data?.items) ? (data.items as Record<string, unknown>[]) : []
}

/** A card list's filters as draft_campaign's audience (docs/planner.md §Several asks). */
const AUDIENCE_OF: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
  find_dormant_cards: (a) =>
    clean({
      minDaysInactive: a.minDays,
      idleSince: a.idleSince,
      minBalanceCents: a.minBalanceCents,
      maxBalanceCents: a.maxBalanceCents,
      jurisdiction: a.jurisdiction,
      location: a.location,
    }),
  search_gift_cards: (a) =>
    clean({
      minDaysInactive: a.inactiveDays,
      minBalanceCents: a.minBalanceCents,
      maxBalanceCents: a.maxBalanceCents,
      jurisdiction: a.jurisdiction,
      location: a.location,
      status: a.status,
    }),
}

const ITEM_CARD = 'gc_listed_item'
const ITEM_ALERT = -1

/** The calls a later ask makes for each item an earlier ask listed (a card or an alert each). */
function perItem(template: CallPlan, items: readonly Record<string, unknown>[], n: number): Call[] {
  // "find dormant NY cards … and draft a campaign for them": one campaign to all the cards.
  if (template.tool === draftCampaign.name) {
    const cardIds = items.flatMap((i) => (typeof i.cardId === 'string' ? [i.cardId] : []))
    if (cardIds.length === 0) return []
    const { card: _card, ...args } = template.args
    const audience = { ...((args.audience as Record<string, unknown>) ?? {}) }
    // The list's own filters chose the cards; the campaign's defaults do not narrow them again.
    return [
      {
        tool: draftCampaign.name,
        args: { ...args, audience: { ...audience, cardIds: cardIds.slice(0, 500) } },
      },
    ]
  }
  return items.slice(0, n).flatMap((item) => {
    const args = { ...template.args }
    if (([updateFraudAlert.name, explainFraudAlert.name] as string[]).includes(template.tool)) {
      if (typeof item.alertId !== 'number') return []
      args.alertId = item.alertId
      delete args.card
    } else {
      if (typeof item.cardId !== 'string') return []
      args.card = item.cardId
      delete args.alertId
    }
    return [{ tool: template.tool, args: clean(args) }]
  })
}

/** What an ask leaves for the next one to mean by "it" and "that card". */
function advance(recall: Recall, plan: Plan): Recall {
  if (plan.kind !== 'call') return recall
  const next: Recall = { ...recall, tool: plan.tool, args: plan.args }
  if (typeof plan.args.card === 'string') next.card = plan.args.card
  if (typeof plan.args.alertId === 'number') next.alertId = plan.args.alertId
  if (typeof plan.args.campaignId === 'number') next.campaignId = plan.args.campaignId
  return next
}

/** How a request to read opens: "explain…", "show…", "pull up…". */
const READ_VERB =
  /^(explain|show|list|give|tell|find|pull|get|check|run|scan|draft|forecast|look|count|segment|report|break|compare|search|walk me through)\b/

/** Whether `broad`'s arguments all appear, the same, in `narrow`'s: it asks no more than they. */
/** Two reads of one tool that one call answers: every key they share agrees, or is a default. */
function mergeable(a: CallPlan, b: CallPlan): boolean {
  if (a.also.length || b.also.length || a.followUp || b.followUp) return false
  const defaults = DEFAULTS[a.tool] ?? {}
  const isDefault = (k: string, v: unknown) => JSON.stringify(defaults[k]) === JSON.stringify(v)
  let adds = false
  for (const [k, v] of Object.entries(b.args)) {
    if (!(k in a.args)) {
      adds = true
      continue
    }
    if (JSON.stringify(a.args[k]) !== JSON.stringify(v) && !isDefault(k, v)) return false
  }
  return adds
}

function covers(broad: Record<string, unknown>, narrow: Record<string, unknown>): boolean {
  return Object.entries(broad).every(([k, v]) => JSON.stringify(narrow[k]) === JSON.stringify(v))
}

/**
 * Whether a part of a message asks for something of its own (a verb of reading or acting, a
 * question, or a thing the tools know), rather than adding a limit to the ask before it ("only
 * the top 3", "as of the end of october").
 */
function asksSomething(part: string): boolean {
  const t = withoutInterjection(part.trim().toLowerCase()).replace(/^(?:and|also|then|plus)\s+/, '')
  // "count by rule", "sorted by store": a grouping or an order for the ask before.
  if (
    /^(?:count(?:ed)?|group(?:ed)?|split|broken down|sort(?:ed)?|order(?:ed)?|rank(?:ed)?)\s+by\b/.test(
      t,
    ) ||
    /^how (?:did|does|do|is|was|were) (?:it|that|they|this) (?:split|break down|broken down|divide|spread)\b/.test(
      t,
    )
  )
    return false
  if (
    READ_VERB.test(t) ||
    isImperative(t) ||
    /^(what|which|how|who|why|when|where|is|are|was|were|do|does|did|any|anything|anyone|everything)\b/.test(
      t,
    )
  )
    return true
  return /\b(liabilit\w*|alerts?|fraud|cards?|holds?|forecast|breakage|escheat\w*|campaigns?|approvals?|audit|redemptions?|refunds?|loads?|sold|segments?|purchasers|dormant|idle|upsell|affinity|metrics?|scan|balance)\b/.test(
    t,
  )
}

/** "if it looks real", "if not", "otherwise": a condition waiting for its action. */
function conditionOnly(part: string): boolean {
  return (
    /^(?:and\s+)?(?:if|otherwise|unless)\b/i.test(part.trim()) &&
    !/\b(hold|freeze|block|lock|release|lift|unfreeze|dismiss|confirm|launch|place|put|explain|show|list|check|pull)\b/i.test(
      part,
    )
  )
}

/** Words that state rather than ask or tell: "alert 9 is a false positive". */
function isStatement(part: string): boolean {
  const t = part.trim().toLowerCase()
  if (/^(?:and\s+)?(?:if|unless|otherwise)\b/.test(t)) return false
  return (
    !isQuestion(t) &&
    !isImperative(t) &&
    /\b(is|are|was|were|has|have|had|looks?|seems?|checks out|says?|said|reported|told|called|tried|thinks?|=)\s/.test(
      `${t} `,
    ) &&
    !READ_VERB.test(t) &&
    !/^(what|which|how|who|why|when|where)\b/.test(t)
  )
}

/** An ask with something of its own: a slot, a word of the domain, or an order. */
function standsAlone(part: string): boolean {
  const t = part.trim().toLowerCase()
  if (isImperative(t)) return true
  if (READ_VERB.test(t)) return true
  if (
    /\b(gc_\w+|\d{2,}|alert|card|cards|store|stores|state|forecast|breakage|liability|alerts|holds?|approvals?|campaigns?|redemptions|refunds|loads|audit|dormant|escheat\w*|segments?|upsell|affinity|metrics?|sold)\b/.test(
      t,
    )
  )
    return true
  return t.split(/[^a-z]+/).some((w) => DOMAIN_WORDS.includes(w) && !GENERIC_WORDS.has(w))
}

/** Several asks in one message: each planned in turn, later ones reading earlier ones' results. */
function planParts(
  parts: readonly string[],
  recall: Recall,
  ctx: PlannerContext,
): Plan | undefined {
  const first: CallPlan[] = []
  const later: {
    template: CallPlan
    after: string
    when: 'always' | 'some' | 'none'
    n: number
  }[] = []
  const notes: string[] = []
  const remarks: string[] = []
  let rec = recall
  let context = ''
  let judged = false
  // A condition stays with its action: "if it looks real, hold it", "if not, freeze it".
  const joined: string[] = []
  for (const part of parts) {
    const prev = joined.at(-1)
    // A condition stays with its action; a statement after an ask is that ask's reason or
    // context ("can you freeze 3048? store says it was stolen").
    if (
      prev !== undefined &&
      (conditionOnly(prev) ||
        // "…? break it down by occasion", "and sort them by balance": a change to the ask before.
        /^\s*(?:and\s+|then\s+|pls\s+|please\s+)?(?:break|split|group|sort|order|rank|filter|narrow|limit)\s+(?:it|that|this|them|those|these|the (?:list|results?|numbers))\b/i.test(
          part,
        ) ||
        // "hold gc_…. enumeration pattern on the checker": what follows an order is its reason.
        (isImperative(prev) &&
          !isQuestion(part) &&
          !isImperative(part) &&
          !READ_VERB.test(part.trim().toLowerCase()) &&
          !/\?/.test(part) &&
          !/^(?:and\s+)?(?:what|which|how|who|why|when|where|also|then|if)\b/i.test(part.trim())) ||
        (!/^(?:and\s+)?(?:if|unless|otherwise)\b/i.test(part.trim()) &&
          ((isStatement(part) && !isStatement(prev)) || !asksSomething(part))))
    )
      joined[joined.length - 1] = `${prev.trim()}, ${part.trim()}`
    else joined.push(part)
  }
  for (const raw of joined.slice(0, MAX_PARTS)) {
    // A statement ("alert 9 is a false positive", "customer has card 4821") is context for the
    // ask after it, and an ask with nothing of its own ("who put it there?") belongs to the one
    // before it: neither is planned alone.
    if (isStatement(raw)) {
      context = `${context}${raw.trim()}, `
      continue
    }
    // "Within the period November 1 through November 30, which ten stores…": a window said
    // first is the next ask's.
    if (
      first.length === 0 &&
      !asksSomething(raw) &&
      !isQuestion(raw) &&
      !/^(?:hi|hello|hey|good (?:morning|afternoon|evening)|morning|thanks)\b/i.test(raw.trim()) &&
      readDates(raw, calendarOf(ctx.vocabulary)).length > 0
    ) {
      context = `${context}${raw.trim()}, `
      continue
    }
    // A preamble ("Hi — I'm covering for Dana this week") asks nothing: the asks after it do.
    if (!standsAlone(raw) && (first.length > 0 || (!isQuestion(raw) && !asksSomething(raw))))
      continue
    if (JUDGEMENT.test(raw.trim())) {
      judged = true
      remarks.push(
        `I did not act on "${raw.trim()}": that is for you to judge. Ask me to do it if it does.`,
      )
      continue
    }
    const when = IF_SO.test(raw.trim()) ? 'some' : IF_NOT.test(raw.trim()) ? 'none' : 'always'
    let text = context + raw.trim().replace(IF_SO, '').replace(IF_NOT, '')
    // "…? if there isn't, place one": one of what was asked about.
    if (
      when !== 'always' &&
      /^(place|put|file|add|do|request) (one|it|that|a hold)\b/i.test(text.trim())
    )
      text = 'hold it'
    context = ''
    const listed = [...first].reverse().find((p) => LISTS.has(p.tool))
    const onItems = listed !== undefined && (when !== 'always' || REFERS_TO_RESULTS.test(text))
    // "is gc_… held? if not hold it": "it" is the card the list was about, not a listed item.
    const about =
      when === 'none' && typeof listed?.args.card === 'string' ? listed.args.card : undefined
    // An ask about the listed items is planned for a stand-in item, replaced by each real one.
    const plan = planOne(
      text,
      about
        ? { ...rec, card: about }
        : onItems
          ? { ...rec, card: ITEM_CARD, alertId: ITEM_ALERT }
          : rec,
      ctx,
    )
    if (plan.kind !== 'call' || plan.confidence < MULTI_PART_FLOOR) return undefined
    // "find dormant NY cards with $25+ and draft a campaign for them": the campaign's audience is
    // the list's filters, so it reaches every card that matched, not only the ones shown.
    if (listed && onItems && plan.tool === draftCampaign.name && AUDIENCE_OF[listed.tool]) {
      const { card: _card, ...args } = plan.args
      const own = { ...((args.audience as Record<string, unknown>) ?? {}) }
      delete own.cardIds
      args.audience = { ...AUDIENCE_OF[listed.tool]?.(listed.args), ...own }
      first.push({ ...plan, args })
      rec = advance(rec, plan)
      continue
    }
    if (listed && onItems) {
      const top = /\bthe (?:top|first) one\b/i.test(text) ? 1 : BULK_LIMIT
      if (plan.args.alertId === ITEM_ALERT && plan.tool === placeCardHold.name)
        plan.args.card = ITEM_CARD
      later.push({ template: plan, after: listed.tool, when, n: top })
      notes.push(...plan.notes)
      remarks.push(...plan.remarks)
      continue
    }
    // The same read asked twice, once more narrowly ("ever on hold? any released holds?"): the
    // broader call answers both.
    const same = first.find(
      (p) =>
        p.tool === plan.tool &&
        !WRITES.has(p.tool) &&
        (covers(p.args, plan.args) || covers(plan.args, p.args)),
    )
    // "forecast the next 6 months and show me the 10 cards least likely to be spent": one
    // forecast answers both, when the second only adds what the first did not set.
    const merged = same
      ? undefined
      : first.find((p) => p.tool === plan.tool && !WRITES.has(p.tool) && mergeable(p, plan))
    if (merged) merged.args = { ...plan.args, ...merged.args }
    else if (!same) first.push(plan)
    else if (covers(plan.args, same.args)) same.args = plan.args
    rec = advance(rec, plan)
  }
  if (first.length === 0) return undefined
  // A condition for the person to judge was set apart: never plan the whole message instead.
  if (first.length + later.length < 2 && !judged) return undefined
  const [head, ...rest] = first as [CallPlan, ...CallPlan[]]
  const thens = [head, ...rest].flatMap((p) => (p.followUp ? [p.followUp] : []))
  const combined: CallPlan = {
    ...head,
    also: [...head.also, ...rest.flatMap((p) => [{ tool: p.tool, args: p.args }, ...p.also])],
    notes: [...first.flatMap((p) => p.notes), ...notes],
    remarks: [...first.flatMap((p) => p.remarks), ...remarks],
  }
  if (parts.length > MAX_PARTS)
    combined.remarks.push(`I took the first ${MAX_PARTS} asks; ask again for the rest.`)
  if (thens.length || later.length)
    combined.followUp = {
      tools: [...thens.flatMap((t) => t.tools), ...later.map((l) => l.template.tool)],
      derive: (results) => {
        const calls: Call[] = []
        const words: string[] = []
        for (const t of thens) {
          const d = t.derive(results)
          if (typeof d === 'string') words.push(d)
          else calls.push(...d)
        }
        for (const l of later) {
          const items = itemsOf(results, l.after).filter((i) => i.status !== 'released')
          if (l.when === 'none') {
            const standIn =
              l.template.args.card === ITEM_CARD || l.template.args.alertId === ITEM_ALERT
            if (items.length === 0 && standIn)
              words.push(`I did not ${TOOL_WORDS[l.template.tool] ?? l.template.tool}: which card?`)
            else if (items.length === 0)
              calls.push({ tool: l.template.tool, args: l.template.args })
            else
              words.push(
                `There already is one, so I did not ${TOOL_WORDS[l.template.tool] ?? l.template.tool}.`,
              )
          } else if (l.when === 'some' && items.length === 0)
            words.push(
              `None found, so I did not ${TOOL_WORDS[l.template.tool] ?? l.template.tool}.`,
            )
          else calls.push(...perItem(l.template, items, l.n))
        }
        return calls.length ? calls.slice(0, BULK_LIMIT * 2) : words.join(' ') || 'Nothing to do.'
      },
    }
  return combined
}

/** Turns one request into tool calls (or words), reading "it"/"those" from the thread. */
export function planRequest(
  text: string,
  recall: Recall = {},
  ctx?: Partial<PlannerContext>,
): Plan {
  const context: PlannerContext = {
    classifier: ctx?.classifier ?? defaultClassifier(),
    vocabulary: ctx?.vocabulary ?? EMPTY_VOCABULARY,
  }
  const whole = text.trim().slice(0, 2000)
  // "…for October and November? Thanks so much": a sign-off after a request is not an ask.
  const signedOff = whole.replace(SIGN_OFF, '')
  const trimmed = signedOff.split(/\s+/).length >= 3 ? signedOff : whole
  if (trimmed === '') return reply(HELP, 'help')
  const parts = trimmed.split(CLAUSE_BREAK).filter((p) => p.trim().split(/\s+/).length >= 2)
  if (parts.length >= 2) {
    const multi = planParts(parts, recall, context)
    if (multi) return multi
  }
  const reading = readRequest(trimmed, recall, context)
  return fanOut(planReading(reading, context), reading)
}

/** Thanks and a name at the end of a message ("Thanks so much", "cheers, Sam"). */
const SIGN_OFF =
  /(?<=[?.!,]|\s)\s*(?:[Tt]hanks|[Tt]hank you|[Tt]hx|[Tt]y|[Cc]heers|[Mm]uch appreciated|[Aa]ppreciate it|[Mm]any thanks)\b(?: so much| a lot| in advance| again)?(?:[\s,]+[A-Z][a-z]+)?[\s.!]*$/

/** Tools that take one card, alert, state or amount: a list of them makes one call each. */
const ONE_EACH: Record<string, { arg: string; kinds: Slot['kind'][] }> = {
  get_gift_card: { arg: 'card', kinds: ['card', 'number4'] },
  place_card_hold: { arg: 'card', kinds: ['card', 'number4'] },
  release_card_hold: { arg: 'card', kinds: ['card', 'number4'] },
  explain_fraud_alert: { arg: 'alertId', kinds: ['alert'] },
  update_fraud_alert: { arg: 'alertId', kinds: ['alert'] },
  escheatment_report: { arg: 'jurisdiction', kinds: ['state'] },
  scan_for_fraud: { arg: 'location', kinds: ['store'] },
  ledger_metrics: { arg: 'location', kinds: ['store'] },
  get_liability: { arg: 'location', kinds: ['store'] },
  recommend_upsell: { arg: 'totalCents', kinds: ['money'] },
}

/**
 * "houston redemptions q3 vs q4", "cards sold nov 2026 against nov 2025", "liability now vs end
 * of 2025": the same figure once per period, side by side.
 */
/**
 * "this year vs last", "this month compared to the previous one": the period before the one
 * named, as a date slot over the words after "vs".
 */
function previousPeriod(r: Reading, dates: readonly Extract<Slot, { kind: 'date' }>[]) {
  if (dates.length !== 1) return undefined
  const only = dates[0] as Extract<Slot, { kind: 'date' }>
  const unit = /\b(?:this|current)\s+(year|month|quarter|week)\b|\b(ytd|mtd|qtd)\b/i.exec(
    r.text.slice(only.start, only.end),
  )
  const vs =
    /\b(?:vs\.?|versus|against|compared (?:to|with))\s+(?:the\s+)?(?:last|previous|prior|the one before)(?:\s+(?:one|year|month|quarter|week))?\b/i.exec(
      r.text,
    )
  if (!unit || !vs) return undefined
  const u = (unit[1] ??
    { ytd: 'year', mtd: 'month', qtd: 'quarter' }[(unit[2] as string).toLowerCase()]) as string
  const today = localDay(r.calendar.now, r.calendar.timezone)
  const [y, m] = today.split('-').map(Number) as [number, number]
  const last = (mm: number, yy: number) => new Date(Date.UTC(yy, mm, 0)).toISOString().slice(0, 10)
  let from: string
  let to: string
  if (u === 'year') [from, to] = [`${y - 1}-01-01`, `${y - 1}-12-31`]
  else if (u === 'month') {
    const [yy, mm] = m === 1 ? [y - 1, 12] : [y, m - 1]
    ;[from, to] = [`${yy}-${String(mm).padStart(2, '0')}-01`, last(mm, yy)]
  } else if (u === 'quarter') {
    const q = resolveQuarter({ q: Math.floor((m - 1) / 3) + 1 }, r.calendar, false)
    const before = addDays(q.from, -1)
    ;[from, to] = [
      resolveQuarter(
        {
          q: Math.floor((Number(before.slice(5, 7)) - 1) / 3) + 1,
          year: Number(before.slice(0, 4)),
        },
        r.calendar,
        false,
      ).from,
      before,
    ]
  } else {
    const start = addDays(today, -((new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7))
    ;[from, to] = [addDays(start, -7), addDays(start, -1)]
  }
  const start = vs.index
  const end = vs.index + vs[0].length
  const slot: Extract<Slot, { kind: 'date' }> = {
    kind: 'date',
    value: { kind: 'range', from, to, start, end },
    start,
    end,
  }
  return slot
}

function comparePeriods(plan: Plan, r: Reading): Plan {
  if (plan.kind !== 'call' || plan.followUp || plan.also.length) return plan
  if (plan.tool !== ledgerMetrics.name && plan.tool !== getLiability.name) return plan
  if (!/\b(vs\.?|versus|against|compared (?:to|with))\b/i.test(r.text)) return plan
  const dates = r.all('date')
  // Two periods named, or "now" against one (a follow-up "vs october?" changes the period).
  const second =
    (dates.length >= 2 ? dates.find((d) => !r.used.has(d)) : undefined) ??
    previousPeriod(r, dates) ??
    (plan.tool === getLiability.name && /\bnow\b|\btoday\b|\bcurrent\b/i.test(r.text)
      ? undefined
      : null)
  if (second === null) return plan
  const window = (d: DateSlot): Record<string, unknown> => {
    if (plan.tool === getLiability.name) {
      const asOf = d.quarter ? resolveQuarter(d.quarter, r.calendar, false).to : day(d)
      return { asOf }
    }
    if (d.quarter) return resolveQuarter(d.quarter, r.calendar, false)
    return clean({ from: d.from, to: d.kind === 'since' ? undefined : d.to })
  }
  // "now vs end of 2025": today's liability, and the one at that day.
  if (second === undefined) {
    if (plan.tool !== getLiability.name || plan.args.asOf === undefined) return plan
    const { asOf, ...now } = plan.args
    return {
      ...plan,
      args: now,
      also: [{ tool: plan.tool, args: { ...now, asOf } }],
      notes: plan.notes.filter((n) => !/^(vs\.?|versus|against|compared)/i.test(n)),
    }
  }
  r.use(second)
  const quoted = r.quote(second.start, second.end).toLowerCase()
  // "value loaded per quarter, last year vs this year": the rows by period already compare
  // them, so one call spans both periods.
  const by = plan.args.by
  const w = window(second.value)
  if (
    plan.tool === ledgerMetrics.name &&
    Array.isArray(by) &&
    by.some((b) => TIME_DIMS.has(String(b))) &&
    typeof w.from === 'string'
  ) {
    const from = [plan.args.from, w.from]
      .filter((x): x is string => typeof x === 'string')
      .sort()[0]
    const tos = [plan.args.to, w.to]
    const to = tos.some((x) => x === undefined)
      ? undefined
      : tos
          .filter((x): x is string => typeof x === 'string')
          .sort()
          .at(-1)
    return {
      ...plan,
      args: clean({ ...plan.args, from, to }),
      notes: plan.notes.filter(
        (n) => !n.toLowerCase().includes(quoted) && !/^(vs\.?|versus|against|compared)/i.test(n),
      ),
    }
  }
  const base = { ...plan.args }
  delete base.from
  delete base.to
  delete base.asOf
  return {
    ...plan,
    also: [{ tool: plan.tool, args: clean({ ...base, ...w }) }],
    notes: plan.notes.filter(
      (n) => !n.toLowerCase().includes(quoted) && !/^(vs\.?|versus|against|compared)/i.test(n),
    ),
  }
}

/** "pull up 4819 and 8345", "dismiss alerts 11 and 12": one call per id, each audited. */
function fanOut(plan: Plan, r: Reading): Plan {
  if (plan.kind !== 'call' || plan.followUp) return plan
  const spec =
    plan.tool === placeCardHold.name &&
    plan.args.card === undefined &&
    plan.args.alertId !== undefined
      ? { arg: 'alertId', kinds: ['alert'] as Slot['kind'][] }
      : ONE_EACH[plan.tool]
  if (!spec) return comparePeriods(plan, r)
  const first = plan.args[spec.arg]
  const valueIn = (s: Slot) => (s.kind === 'money' ? s.cents : 'value' in s ? s.value : undefined)
  const text = r.text
  // Only a list the order names ("4819 and 8345", "alerts 11, 12"): an id in the reason is not one.
  const own = [plan.args.reason, plan.args.note].find((x): x is string => typeof x === 'string')
  const ownAt = own ? r.source.original.lastIndexOf(own) : -1
  const slots = r.slots
    .filter((s) => spec.kinds.includes(s.kind) && (ownAt < 0 || r.source.at(s.start) < ownAt))
    .sort((a, b) => a.start - b.start)
  const from = slots.findIndex((s) => valueIn(s) === first)
  const values: unknown[] = []
  for (let i = from + 1; from >= 0 && i < slots.length; i++) {
    const gap = text.slice((slots[i - 1] as Slot).end, (slots[i] as Slot).start)
    if (
      !/^\s*(,|and|&|\+|or|as well as|vs\.?|versus|against|compared (?:to|with))?\s*(?:(?:also |too )?the (?:one|card)s? (?:on|from|for|in|of)\s+)?(?:(?:card|alert|#|for a|the)\s*)?(?:and\s+)?$/i.test(
        gap,
      )
    )
      break
    const v = valueIn(slots[i] as Slot)
    if (v !== undefined && v !== first) values.push(v)
  }
  const more = [...new Set(values)].slice(0, BULK_LIMIT - 1)
  if (more.length === 0 || first === undefined) return comparePeriods(plan, r)
  const args = (v: unknown) => ({ ...plan.args, [spec.arg]: v })
  const quoted = slots
    .filter((s) => more.includes(valueIn(s)))
    .map((s) => r.quote(s.start, s.end).toLowerCase())
  const notes = plan.notes.filter(
    (n) =>
      !more.some((v) => n.includes(String(v))) && !quoted.some((q) => n.toLowerCase().includes(q)),
  )
  return {
    ...plan,
    also: [...plan.also, ...more.map((v) => ({ tool: plan.tool, args: args(v) }))],
    notes,
  }
}
