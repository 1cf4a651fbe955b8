import Fuse from 'fuse.js'
import { ledgerMetrics } from '../../tools/index.ts'
import {
  type Calendar,
  COUNT_RE,
  countOf,
  type DateSlot,
  joinRanges,
  readDates,
  UNIT_PATTERN,
  unitDays,
} from './dates.ts'
import { NUMBER_WORDS_RE, numberFromWords } from './numbers.ts'
import { distance } from './text.ts'
import { calendarOf, type Store, type Vocabulary } from './vocabulary.ts'

/**
 * The facts a request states, each with the characters it was read from (docs/planner.md §Slots).
 * The planner applies the ones its tool takes and names the rest in its reply, so nothing a
 * person says is dropped silently. Every reader is deterministic and works on the raw text.
 */

type At = { start: number; end: number }

export type Slot = At &
  (
    | { kind: 'card'; value: string; explicit: boolean }
    | { kind: 'number4'; value: string }
    | { kind: 'alert'; value: number }
    | { kind: 'approval'; value: number }
    | { kind: 'campaign'; value: number }
    | { kind: 'hold'; value: number }
    | { kind: 'state'; value: string }
    | { kind: 'store'; value: string; name: string }
    | { kind: 'money'; side: 'min' | 'max' | 'amount'; cents: number }
    | { kind: 'score'; min: number }
    | { kind: 'top'; value: number; of?: string }
    | { kind: 'date'; value: DateSlot }
    | { kind: 'horizon'; months: number }
    | { kind: 'idleDays'; days: number }
    | { kind: 'rule'; value: string }
    | { kind: 'word'; value: string; group: WordGroup }
    | { kind: 'groupBy'; value: string }
    | { kind: 'metric'; value: string }
    | { kind: 'sort'; value: string }
    | { kind: 'visits'; value: number }
    | { kind: 'actor'; value: string }
    | { kind: 'csv' }
  )

export type WordGroup =
  | 'cardStatus'
  | 'alertStatus'
  | 'approvalStatus'
  | 'campaignStatus'
  | 'holdStatus'
  | 'occasion'
  | 'channel'
  | 'segment'
  | 'category'

export const US_STATES: Readonly<Record<string, string>> = {
  alabama: 'AL',
  alaska: 'AK',
  arizona: 'AZ',
  arkansas: 'AR',
  california: 'CA',
  colorado: 'CO',
  connecticut: 'CT',
  delaware: 'DE',
  florida: 'FL',
  georgia: 'GA',
  hawaii: 'HI',
  idaho: 'ID',
  illinois: 'IL',
  indiana: 'IN',
  iowa: 'IA',
  kansas: 'KS',
  kentucky: 'KY',
  louisiana: 'LA',
  maine: 'ME',
  maryland: 'MD',
  massachusetts: 'MA',
  michigan: 'MI',
  minnesota: 'MN',
  mississippi: 'MS',
  missouri: 'MO',
  montana: 'MT',
  nebraska: 'NE',
  nevada: 'NV',
  'new hampshire': 'NH',
  'new jersey': 'NJ',
  'new mexico': 'NM',
  'new york': 'NY',
  'north carolina': 'NC',
  'north dakota': 'ND',
  ohio: 'OH',
  oklahoma: 'OK',
  oregon: 'OR',
  pennsylvania: 'PA',
  'rhode island': 'RI',
  'south carolina': 'SC',
  'south dakota': 'SD',
  tennessee: 'TN',
  texas: 'TX',
  utah: 'UT',
  vermont: 'VT',
  virginia: 'VA',
  washington: 'WA',
  'west virginia': 'WV',
  wisconsin: 'WI',
  wyoming: 'WY',
  'district of columbia': 'DC',
  jersey: 'NJ',
  mass: 'MA',
  cali: 'CA',
}
const STATE_CODES = new Set(Object.values(US_STATES))
/** Two-letter codes that are also English words are read only in upper case. */
const WORDLIKE_CODES = new Set([
  'IN',
  'ME',
  'OR',
  'OK',
  'HI',
  'OH',
  'ID',
  'LA',
  'AL',
  'MO',
  'DE',
  'MA',
  'PA',
  'AR',
  'NE',
  'MS',
  'CO',
  'GA',
  'VA',
  'MI',
  'WA',
  'IL',
])

/**
 * The detectors' rules as people name them. Each pattern allows the joins and endings people
 * type ("reload n drain", "reload+drain", "held-card redemptions", "redeemed while on hold"), so
 * a new spelling of a known rule is read rather than half-read as a neighbouring one.
 */
const AND = String.raw`\s*(?:and|&|n|'n'?|'n'|\+|/|-|then)?\s*`
const SEP = String.raw`[\s-]*`
export const FRAUD_RULES: readonly { re: RegExp; value: string }[] = [
  { re: new RegExp(String.raw`\bcard${SEP}testing\b`), value: 'card_testing' },
  {
    re: new RegExp(
      String.raw`\b(?:balance${SEP}check(?:s|ing)?(?:${SEP}enumerations?)?|enumerations?|(?:bin|number) (?:enumeration|guessing))\b`,
    ),
    value: 'balance_check_enumeration',
  },
  {
    re: new RegExp(String.raw`\breloads?${AND}drain(?:s|ed|ing)?\b|\breload${SEP}drain\b`),
    value: 'reload_and_drain',
  },
  {
    re: new RegExp(
      String.raw`\b(?:drain(?:s|ed|ing)?(?:${SEP}(?:right |just )?after${SEP}activation)?|activation${SEP}drains?|drain${SEP}after${SEP}activation)\b`,
    ),
    value: 'drain_after_activation',
  },
  {
    re: new RegExp(String.raw`\bbulk(?:${SEP}(?:purchases?|buy(?:s|ing)?|orders?))?\b`),
    value: 'bulk_purchase',
  },
  { re: /\b(?:impossible[\s-]*travel|travel)\b/, value: 'impossible_travel' },
  { re: /\brefund(?:s|ed)?(?:[\s-]*(?:abuse|fraud|scams?))?\b/, value: 'refund_abuse' },
  {
    re: new RegExp(
      String.raw`\b(?:held${SEP}cards?${SEP}(?:redemptions?|redeems?|spend(?:ing)?|use)|(?:redemptions?|redeems?|spend(?:ing)?|used?) (?:on|of|against) (?:a |the )?(?:held|frozen|locked) cards?|redeemed (?:while|when) (?:on hold|held|frozen)|(?:spent|used) while (?:on hold|held|frozen))\b`,
    ),
    value: 'held_card_redemption',
  },
]
const RULE_IDS = new Set(FRAUD_RULES.map((r) => r.value))
/** ledger_metrics' metric ids (tools/ledger-metrics.ts), read when typed as they are. */
const METRIC_IDS = new Set<string>(ledgerMetrics.input.shape.metric.options)

const WORDS: readonly { re: RegExp; group: WordGroup; value: string }[] = [
  { re: /\b(on hold|held|frozen)\b/, group: 'cardStatus', value: 'held' },
  { re: /\b(deactivated|disabled|blocked)\b/, group: 'cardStatus', value: 'deactivated' },
  {
    re: /\b(fully redeemed|redeemed|zero balance|empty|drained)\b/,
    group: 'cardStatus',
    value: 'redeemed',
  },
  { re: /\bexpired\b/, group: 'cardStatus', value: 'expired' },
  { re: /\bactive\b/, group: 'cardStatus', value: 'active' },
  { re: /\b(open|unresolved|untriaged|new|outstanding)\b/, group: 'alertStatus', value: 'open' },
  { re: /\b(confirmed|real fraud|true positives?)\b/, group: 'alertStatus', value: 'confirmed' },
  { re: /\b(dismissed|false positives?|cleared)\b/, group: 'alertStatus', value: 'dismissed' },
  {
    re: /\b(pending|waiting|waitin|awaiting|undecided|open|in my queue|for me to (?:approve|decide|sign off on))\b/,
    group: 'approvalStatus',
    value: 'pending',
  },
  { re: /\b(approved|signed off)\b/, group: 'approvalStatus', value: 'approved' },
  { re: /\b(rejected|denied|declined|turned down)\b/, group: 'approvalStatus', value: 'rejected' },
  { re: /\b(executed|carried out|done)\b/, group: 'approvalStatus', value: 'executed' },
  { re: /\bexpired\b/, group: 'approvalStatus', value: 'expired' },
  {
    re: /\b(failed|fail|fails|failing|failures?|errored|went wrong)\b/,
    group: 'approvalStatus',
    value: 'failed',
  },
  { re: /\b(drafts?|drafted)\b/, group: 'campaignStatus', value: 'draft' },
  { re: /\b(launched|live|sent|running)\b/, group: 'campaignStatus', value: 'launched' },
  {
    re: /\b(pending (?:launch )?approval|awaiting (?:launch )?approval|waiting (?:on|for) (?:launch )?approval|pending|up for approval)\b/,
    group: 'campaignStatus',
    value: 'pending_approval',
  },
  {
    re: /\b(rejected|turned down|denied|declined|knocked back)\b/,
    group: 'campaignStatus',
    value: 'rejected',
  },
  { re: /\b(active|current|in place|still on)\b/, group: 'holdStatus', value: 'active' },
  { re: /\b(released|lifted|removed|ended)\b/, group: 'holdStatus', value: 'released' },
  { re: /\bbirthdays?\b/, group: 'occasion', value: 'birthday' },
  {
    re: /\b(corporate|business|b2b|employee gifts?)\b(?![- ](?:channel|sales channel))/,
    group: 'occasion',
    value: 'corporate',
  },
  { re: /\b(holiday|christmas|xmas)\b/, group: 'occasion', value: 'holiday' },
  { re: /\b(self[- ]use|for themselves|self purchases?)\b/, group: 'occasion', value: 'self_use' },
  { re: /\b(in[- ]store|instore|at the register|pos)\b/, group: 'channel', value: 'in_store' },
  { re: /\b(online|web|e-?commerce|website)\b/, group: 'channel', value: 'online' },
  { re: /\b(mobile|app)\b/, group: 'channel', value: 'mobile' },
  {
    re: /\b(corporate[- ](?:sales )?channel|b2b[- ]channel|corporate sales|corporate orders)\b/,
    group: 'channel',
    value: 'corporate',
  },
  { re: /\b(fast redeemers?|fast spenders?|quick redeemers?)\b/, group: 'segment', value: 'fast' },
  {
    re: /\b(slow[_ ]partial|slow partial|partial redeemers?|slow spenders?)\b/,
    group: 'segment',
    value: 'slow_partial',
  },
  { re: /\b(too[_ ]new|new purchasers?)\b/, group: 'segment', value: 'too_new' },
  { re: /\b(gifters?|gift givers?)\b/, group: 'segment', value: 'gifter' },
  { re: /\b(dormant segment|dormant purchasers)\b/, group: 'segment', value: 'dormant' },
]

const GROUPS: readonly { re: RegExp; value: string }[] = [
  {
    re: /\b(?:by|per|each|every|across|broken (?:down|out) by|split by|grouped by|breakdown by) (?:state|jurisdiction|region)s?\b|\bstate[- ]by[- ]state\b|\bper-state\b/,
    value: 'jurisdiction',
  },
  {
    re: /\b(?:by|per|each|every|across|broken (?:down|out) by|split by|grouped by|breakdown by) (?:store|location|shop|branch|site)s?\b|\bstore[- ]by[- ]store\b|\bper-store\b/,
    value: 'location',
  },
  { re: /\b(?:by|per|each) (?:cohort|issue month|vintage)s?\b|\bcohorts?\b/, value: 'cohort' },
  {
    re: /\b(?:by|per|each|across|split by|broken (?:down|out) by) (?:purchase |purchaser |buying |gift )?occasions?\b/,
    value: 'occasion',
  },
  {
    re: /\b(?:by|per|each) (?:sales )?channels?\b|\bonline (?:vs\.?|versus) in[- ]store\b/,
    value: 'channel',
  },
  {
    re: /\b(?:by|per|each|across|split by|broken (?:down|out) by) (?:purchaser |customer |buyer )?(?:segment|persona)s?\b/,
    value: 'segment',
  },
  { re: /\b(?:by|per|each) (?:fraud )?(?:rule|type|detector)s?\b/, value: 'rule' },
  // "how many cards do we sell a day": a rate per period is a breakdown by it.
  {
    re: /\b(?:by|per|each) (?:day)\b|\bdaily\b(?!\s+(?:[\w-]+\s+)?(?:call|meeting|sync|review|stand-?up|report|deck|email|update|check-?in|huddle)s?\b)|\bday[- ]by[- ]day\b|(?<=\b(?:sell|sold|sells|selling|redeem\w*|load\w*|refund\w*|issue\w*|activat\w*|get|see|do|raise\w*|fire\w*)\b(?:\s+[\w$]+){0,3}\s+)(?:a|each|every) day\b/,
    value: 'day',
  },
  {
    re: /\b(?:by|per|each) (?:week)\b|\bweekly\b(?!\s+(?:[\w-]+\s+)?(?:call|meeting|sync|review|stand-?up|report|deck|email|update|check-?in|huddle)s?\b)|\bweek[- ]by[- ]week\b|\bwow\b|(?<=\b(?:sell|sold|sells|selling|redeem\w*|load\w*|refund\w*|issue\w*|activat\w*|get|see|do|raise\w*|fire\w*)\b(?:\s+[\w$]+){0,3}\s+)(?:a|each|every) week\b/,
    value: 'week',
  },
  {
    re: /\b(?:by|per|each) (?:month)\b|\bmonthly\b(?!\s+(?:[\w-]+\s+)?(?:call|meeting|sync|review|stand-?up|report|deck|email|update|check-?in|huddle)s?\b)|\bmonth[- ]by[- ]month\b|\bmom\b|\bmonth over month\b|\bmonth[- ]end\b|\bend of (?:each|every) month\b/,
    value: 'month',
  },
  {
    re: /\b(?:by|per|each) (?:quarter|qtr)\b|\bquarterly\b(?!\s+(?:[\w-]+\s+)?(?:call|meeting|sync|review|stand-?up|report|deck|email|update|check-?in|huddle)s?\b)|\bquarter[- ]by[- ]quarter\b/,
    value: 'quarter',
  },
]

const METRICS: readonly { re: RegExp; value: string }[] = [
  {
    // "alerts on cards sold online" names cards, not the figure: not after "on", "for", "of"…
    re: /\b((?<!\b(?:on|for|of|with|among|from|to|about|at) (?:the |those |these |all |any )?)cards? (?:(?:were|was|got|have been|had been|been) )?(?:sold|issued|activated|bought|purchased)|(?:sold|issued|activated|new) (?:gift )?cards|gift cards? sales|card sales|sales of (?:gift )?cards|activations|(?:gift )?cards? (?:do|did|does|have|will) (?:we|you|they) (?:sell|activate|issue)|did we sell|(?:we|they|you) (?:sell|sold|activated?|issued?) (?:a |per |each |every )?(?:day|week|month)|new activations)\b/,
    value: 'cards_sold',
  },
  {
    re: /\b(value loaded|loaded value|amount loaded|dollars loaded|\$ loaded|money loaded|total loaded|how much (?:was |got |did we )?load(?:ed)?|(?:take|took|taken|bring|brought|brung|make|made) in (?:on|from) (?:gift ?card |card )?(?:re)?loads|(?:re)?load (?:revenue|dollars|value|volume in dollars))\b/,
    value: 'value_loaded',
  },
  {
    re: /\b(loads|reloads|top[- ]?ups|(?:re)?load (?:transactions|count|volume)|number of (?:re)?loads|reload transactions|count of (?:re)?loads)\b/,
    value: 'loads',
  },
  {
    re: /\b(redemptions?|redeemed value|amount redeemed|value redeemed|spend on (?:gift )?cards|redeems|(?<=\b(?:what|how much) (?:did|do|does|was|were|has|have) (?:[\w'-]+ ){0,4})(?:redeem(?:ed)?|spend|spent))\b/,
    value: 'redemptions',
  },
  { re: /\b(refunds?|refunded)\b/, value: 'refunds' },
  {
    re: /\b(breakage (?:that )?(?:we(?:'ve| have)? |was |got )?(?:recogni[sz]ed|booked|took|taken|realized|realised)|recogni[sz]ed breakage|breakage income|breakage revenue|breakage recognition)\b/,
    value: 'breakage_recognised',
  },
  {
    re: /\b(fraud loss(?:es)?|lost to fraud|(?:redeemed|spent) on (?:the )?cards? (?:with|carrying|that have|having|that had) (?:confirmed |open )?(?:fraud(?: alerts?)?|alerts?)|spent on fraudulent cards|fraud (?:cost|dollars|exposure)|(?:cost|lose|lost) (?:us )?(?:to|from|in) fraud|fraudulent (?:redemptions|spend))\b/,
    value: 'fraud_loss',
  },
  {
    re: /\b(holds? (?:active|in place|outstanding)|active holds?|(?:cards? )?on hold right now|how many holds)\b/,
    value: 'holds_active',
  },
  { re: /\b(approvals?|approved requests|sign[- ]offs)\b/, value: 'approvals' },
  {
    re: /\b(fraud alerts?|alerts? (?:raised|fired|triggered)|flags raised)\b/,
    value: 'fraud_alerts',
  },
  {
    re: /\b(liabilit(?:y|ies)|outstanding balances?|deferred revenue|unspent (?:value|balances?|money|funds|dollars)|(?:what|how much) (?:do |did )?we (?:still )?owe|(?:value|money|dollars|balances?) (?:still )?(?:sitt?in[g']?|left|outstanding) on (?:the )?cards|(?:sitt?in[g']?|left) on (?:the |our |gift )?cards)\b/,
    value: 'liability',
  },
]

const SORTS: readonly { re: RegExp; value: string }[] = [
  {
    re: /\b(?:most recent(?:ly)?|latest|newest|freshest) (?:activity|use|usage|used|transactions?|swipes?)(?: (?:first|on top))?\b|\brecent activity first\b|\b(?:most recently|last) (?:active|touched|swiped) first\b/,
    value: 'last_activity_desc',
  },
  {
    re: /\b(biggest|largest|highest|most|richest|top|fattest) (?:balances?|value|amount)s?\b|\bby balance\b|\b(?:highest|biggest|largest|most|top) (?:ones? )?first\b|\bmost money\b|\bdescending\b|\bhigh(?:est)? to low(?:est)?\b/,
    value: 'balance_desc',
  },
  {
    re: /\b(smallest|lowest|least) (?:balances?|value|amount)s?\b|\b(lowest|smallest|fewest|least) first\b|\bascending\b(?! (?:key|period|date))|\blow(?:est)? to high(?:est)?\b/,
    value: 'balance_asc',
  },
  {
    re: /\b(newest|most recent(?:ly)? (?:issued|sold)|latest issued|recently issued)\b/,
    value: 'issued_desc',
  },
  {
    re: /\b(most recently used|recently used|last used|latest activity|(?:by|on) (?:the )?(?:last|latest|most recent|recent) (?:activity|use|used)|last activity|most recently active|recently active)\b/,
    value: 'last_activity_desc',
  },
  {
    re: /\b(longest[- ]idle|idle longest|oldest activity|idle the longest|longest inactive|most idle|longest[- ]dormant|(?:by )?how long (?:they'?ve|they have|it'?s|each has) been (?:idle|dormant|inactive|untouched)|by idle (?:time|days|length)|by (?:days )?(?:idle|inactive)|oldest (?:last )?activity first|longest untouched|longest since (?:last )?(?:use|activity))\b/,
    value: 'idle_desc',
  },
  {
    re: /\b(most likely to (?:come back|return|reactivate|redeem|be used)|likeliest to (?:come back|return)|best chance)\b/,
    value: 'reactivation_desc',
  },
  // "worst first", "busiest stores first", "smallest weeks first", "quietest on top": the rows'
  // order by their value, whatever the rows are.
  {
    re: /\b(?:highest|biggest|largest|most|top|worst|busiest|best|heaviest|greatest)(?: [a-z]+){0,2} (?:first|on top|at the top)\b|\bfrom (?:highest|biggest|most|largest) (?:down|to)\b/,
    value: 'balance_desc',
  },
  {
    re: /\b(?:lowest|smallest|least|fewest|quietest|slowest|weakest|lightest)(?: [a-z]+){0,2} (?:first|on top|at the top)\b|\bfrom (?:lowest|smallest|least|fewest) (?:up|to)\b|\bworst (?:to|→) best\b/,
    value: 'balance_asc',
  },
]

/** "sorted by key", "in period order", "chronologically": the rows in key order. */
const KEY_ORDER =
  /\b(?:(?:sort(?:ed)?|order(?:ed)?|arrange[ds]?|rank(?:ed)?) (?:by|on) (?:the )?(?:keys?|periods?|dates?|months?|weeks?|quarters?)(?: (?:and|&) (?:the )?[a-z]+)?(?: keys?)?|(?:(?:in )?(?:ascending |descending )?(?:key|period|date|chronological|alphabetical|calendar) order)|chronologically|alphabetic(?:al(?:ly)?)?|a[- ]?(?:to|-|–|→)[- ]?z|(?:sort(?:ed)?|order(?:ed)?|arrange[ds]?|list(?:ed)?|go(?:ing)?) (?:by|on) (?:the )?(?:store|state|location|shop|occasion|channel|rule|segment|region)(?:\s+names?)?s?(?! (?:value|amount|count|total|balance|sales))|(?:sort(?:ed)?|order(?:ed)?) by name)\b/

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

function push(out: Slot[], slot: Slot) {
  if (!out.some((s) => s.start < slot.end && slot.start < s.end && s.kind !== 'word'))
    out.push(slot)
}

function each(text: string, re: RegExp, fn: (m: RegExpExecArray) => void) {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`)
  for (let m = g.exec(text); m; m = g.exec(text)) {
    fn(m)
    if (m[0].length === 0) g.lastIndex++
  }
}

function readIds(text: string, out: Slot[]) {
  each(text, /\bgc_[0-9a-z]{4,}\b/i, (m) =>
    push(out, {
      kind: 'card',
      value: m[0].toLowerCase(),
      explicit: true,
      start: m.index,
      end: m.index + m[0].length,
    }),
  )
  each(
    text,
    /(?:\b(?:ending|ends|ended)\s+(?:in\s+|with\s+|on\s+)?|\blast\s+(?:four|4)(?:\s+digits)?(?:\s+(?:of|are|is|=|:))?\s*|(?:\*{2,}|\bx{2,}|…|\.{3})\s*|\bcards?\s*#?\s*|\bgc\s*#?\s*|\bnumber\s+)(\d{4})\b(?!\d|[.,/-]\d)/i,
    (m) =>
      push(out, {
        kind: 'card',
        value: m[1] as string,
        explicit: true,
        start: m.index,
        end: m.index + m[0].length,
      }),
  )
  each(text, /\b(\d{4})\s+card\b/i, (m) =>
    push(out, {
      kind: 'card',
      value: m[1] as string,
      explicit: true,
      start: m.index,
      end: m.index + m[0].length,
    }),
  )
  const ids: [RegExp, 'alert' | 'approval' | 'campaign' | 'hold'][] = [
    [/\balerts?\s*(?:#|no\.?|number|id)?\s*(\d{1,9})\b(?![.,]\d)/i, 'alert'],
    // "#12" alone is an alert in a triage ("dismiss #12"), never a card.
    ...(/\b(dismiss|confirm|mark|triage|alerts?|false positive|fraud|flag|fir(?:e|ed|ing)|trigger|tripped|explain|why|scor)\w*/i.test(
      text,
    ) && !/\b(approv|request|campaign)/i.test(text)
      ? ([[/(?<![\w#])#(\d{1,9})\b/i, 'alert']] as [RegExp, 'alert'][])
      : []),
    [
      /\b(?:approvals?|requests?|req)\s*(?:#|no\.?|number|id)?\s*(\d{1,9})\b(?![.,]\d)/i,
      'approval',
    ],
    [/\bcampaigns?\s*(?:#|no\.?|number|id)?\s*(\d{1,9})\b(?![.,]\d)/i, 'campaign'],
    [/\bholds?\s*(?:#|no\.?|number|id)\s*(\d{1,9})\b/i, 'hold'],
  ]
  for (const [re, kind] of ids)
    each(text, re, (m) =>
      push(out, { kind, value: Number(m[1]), start: m.index, end: m.index + m[0].length }),
    )
  // "alerts 11 and 12", "alerts 11, 12 & 13": the rest of a list of alert numbers.
  each(text, /\balerts?\s*#?\d{1,9}((?:\s*(?:,|and|&|\+)\s*#?\d{1,9}\b)+)/i, (m) => {
    const tail = m[1] as string
    const base = m.index + m[0].length - tail.length
    each(tail, /\d{1,9}/, (n) =>
      push(out, {
        kind: 'alert',
        value: Number(n[0]),
        start: base + n.index,
        end: base + n.index + n[0].length,
      }),
    )
  })
  each(text, /\b((?:slack|mcp|cli|http|agent|dashboard):[\w.@-]+)/i, (m) =>
    push(out, { kind: 'actor', value: m[1] as string, start: m.index, end: m.index + m[0].length }),
  )
}

/** An amount with its bound; "exactly" is both bounds at once. */
function exactOrBound(
  out: Slot[],
  bound: string | undefined,
  cents: number,
  start: number,
  end: number,
) {
  if (bound && /^(exactly|precisely|just)$/i.test(bound)) {
    push(out, { kind: 'money', side: 'min', cents, start, end })
    out.push({ kind: 'money', side: 'max', cents, start, end })
    return
  }
  const side = !bound ? 'amount' : /over|above|more|least/i.test(bound) ? 'min' : 'max'
  push(out, { kind: 'money', side, cents, start, end })
}

/** A money slot over the whole of a match. */
function pushMoney(out: Slot[], m: RegExpExecArray, side: 'min' | 'max' | 'amount', cents: number) {
  push(out, { kind: 'money', side, cents, start: m.index, end: m.index + m[0].length })
}

function readMoney(text: string, out: Slot[]) {
  const bounds =
    '(over|above|more than|at least|under|below|less than|at most|up to|exactly|precisely)'
  // "between twenty and fifty bucks", "from 10 to 40 dollars": a range said in words or numbers.
  const NUM = `(\\$?\\s?\\d[\\d,]*(?:\\.\\d{1,2})?|${NUMBER_WORDS_RE})`
  each(
    text,
    new RegExp(
      `\\b(?:between|from)\\s+${NUM}\\s*(?:dollars?|bucks)?\\s*(?:and|to|-|–)\\s*${NUM}\\s*(?:dollars?|bucks)\\b`,
      'i',
    ),
    (m) => {
      const value = (v: string) =>
        /\d/.test(v) ? Number(v.replace(/[$,\s]/g, '')) : numberFromWords(v)
      const lo = value(m[1] as string)
      const hi = value(m[2] as string)
      if (lo === undefined || hi === undefined) return
      const start = m.index
      const end = m.index + m[0].length
      push(out, { kind: 'money', side: 'min', cents: Math.round(lo * 100), start, end })
      out.push({ kind: 'money', side: 'max', cents: Math.round(hi * 100), start, end })
    },
  )
  // "forty dollar basket", "over a grand", "under five bucks": an amount in words.
  each(
    text,
    new RegExp(
      `\\b(?:${bounds}\\s+)?(${NUMBER_WORDS_RE})[\\s-]+(?:dollars?|bucks|usd)\\b|\\b${bounds}\\s+(a grand|a thousand|a hundred|a hundo|a c-note)\\b`,
      'i',
    ),
    (m) => {
      const bound = (m[1] ?? m[3])?.toLowerCase()
      const value = numberFromWords((m[2] ?? m[4]) as string)
      if (value === undefined || value === 0) return
      const start = m.index + (m[0].length - m[0].trimStart().length)
      exactOrBound(out, bound, value * 100, start, m.index + m[0].length)
    },
  )
  const AMT =
    '\\$?\\s?(\\d[\\d,]*(?:\\.\\d{1,2})?)(?!\\d|\\.\\d)\\s?(k\\b)?\\s?(?:dollars|usd|bucks|\\$)?'
  const cents = (v: string, k?: string) =>
    Math.round(Number(v.replaceAll(',', '')) * (k ? 1000 : 1) * 100)
  const notUnit =
    '(?!\\s*(?:days?|d\\b|wks?|weeks?|months?|mos?|years?|yrs?|visits?|times|%|cards?|alerts?|stores?|hours?|hrs?))'
  const isMoney = (m: RegExpExecArray) => /\$|dollar|usd|buck|\dk\b/i.test(m[0])
  // between $10 and $50 / $10-$50 / $10 to $50
  each(
    text,
    /(?:\bbetween\s+)?(?<![\w$])\$\s?(\d[\d,]*(?:\.\d{1,2})?)\s*(?:and|to|-|–)\s*\$?\s?(\d[\d,]*(?:\.\d{1,2})?)\b(?:\s*(?:dollars|bucks))?/i,
    (m) => {
      const start = m.index
      const end = m.index + m[0].length
      push(out, { kind: 'money', side: 'min', cents: cents(m[1] as string), start, end })
      out.push({ kind: 'money', side: 'max', cents: cents(m[2] as string), start, end })
    },
  )
  // "exactly $250", "precisely 40 dollars": the balance is that amount, both bounds.
  each(text, new RegExp(`\\b(?:exactly|precisely|just)\\s+${AMT}${notUnit}`, 'i'), (m) => {
    if (!isMoney(m)) return
    exactOrBound(out, 'exactly', cents(m[1] as string, m[2]), m.index, m.index + m[0].length)
  })
  const min =
    '(?:over|above|more than|greater than|at least|>=?|exceeding|min(?:imum)?(?: of)?|bigger than|larger than|north of|upwards of|plus)'
  const max =
    '(?:under|below|less than|at most|<=?|max(?:imum)?(?: of)?|smaller than|up to|no more than|lower than)'
  each(text, new RegExp(`${min}\\s*${AMT}${notUnit}`, 'i'), (m) => {
    if (!isMoney(m) && !/\b(balance|left|worth|value|\$)/i.test(text)) return
    pushMoney(out, m, 'min', cents(m[1] as string, m[2]))
  })
  each(text, new RegExp(`${max}\\s*${AMT}${notUnit}`, 'i'), (m) => {
    if (!isMoney(m) && !/\b(balance|left|worth|value|\$)/i.test(text)) return
    pushMoney(out, m, 'max', cents(m[1] as string, m[2]))
  })
  // $20+ / $20 or more / 20+ dollars / $5 or less
  each(
    text,
    /\$\s?(\d[\d,]*(?:\.\d{1,2})?)(k\b)?\s*(\+|or more|and up|and above|or over|plus)|(\d[\d,]*(?:\.\d{1,2})?)\+?\s*(?:dollars|bucks)\s*(or more|and up|\+)/i,
    (m) => pushMoney(out, m, 'min', cents((m[1] ?? m[4]) as string, m[2])),
  )
  // "w/ money still on them", "with a balance", "non-zero balance": more than nothing left.
  each(
    text,
    /\b(?:(?:money|value|funds|cash|a balance|balance|something) (?:still )?(?:left )?on (?:them|it|the cards?)|(?:with|have|has|having|carrying|still have) (?:a |some )?(?:remaining |non-?zero |positive |leftover )?(?:balance|money|value|funds) (?:left|remaining)|(?:non-?zero|positive|remaining|unspent|leftover) balances?|money left|value left|not (?:yet )?(?:fully )?(?:spent|empty|drained))\b(?!\s*(?:of|over|under|above|below|between|\$|>|<))/i,
    (m) => pushMoney(out, m, 'min', 1),
  )
  each(
    text,
    /\$\s?(\d[\d,]*(?:\.\d{1,2})?)(k\b)?\s*(?:or less|or under|and under|and below|max)/i,
    (m) => pushMoney(out, m, 'max', cents(m[1] as string, m[2])),
  )
  each(
    text,
    /\$\s?(\d[\d,]*(?:\.\d{1,2})?)(k\b)?|\b(\d[\d,]*(?:\.\d{1,2})?)\s?(k)?\s?(?:dollars|usd|bucks)\b/i,
    (m) => pushMoney(out, m, 'amount', cents((m[1] ?? m[3]) as string, m[2] ?? m[4])),
  )
}

/** A forecast horizon of so many days, in whole months from 1 to 36 (the tool's bounds). */
function horizonMonths(days: number): number {
  return Math.min(36, Math.max(1, Math.round(days / 30.4)))
}

function readHorizons(text: string, out: Slot[]) {
  // "a 24-month liability run-off", "12 month outlook"
  each(
    text,
    new RegExp(
      `\\b${COUNT_RE}[- ]?(months?|mos?|years?|yrs?|quarters?)\\b(?=(?:\\s+[a-z]+){0,2}\\s+(?:run-?off|forecast|outlook|projection|horizon|view|burn-?down))`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (n === undefined) return
      const months = horizonMonths(n * unitDays(m[2] as string))
      push(out, { kind: 'horizon', months, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    new RegExp(
      `\\b(?:forecast|project|projection|outlook|run-?off|breakage)\\w*\\s+(?:for\\s+|over\\s+)?(?:the\\s+)?(?:next\\s+)?${COUNT_RE}\\s*(months?|mos?|years?|yrs?|quarters?)\\b`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (n === undefined) return
      const months = horizonMonths(n * unitDays(m[2] as string))
      const at = m.index + m[0].indexOf(m[1] as string)
      push(out, { kind: 'horizon', months, start: at, end: m.index + m[0].length })
    },
  )
  // horizons: next 6 months, 12-month, next year, over the coming quarter
  each(
    text,
    new RegExp(
      `\\b(?:next|coming|upcoming|following|over the next|within the next|out|ahead|forward)\\s+(?:the\\s+)?${COUNT_RE}?\\s*${UNIT_PATTERN}\\b|\\b${COUNT_RE}[- ](?:months?|mos?|mo|years?|yr|quarters?)(?:[- ](?:horizon|forecast|outlook|view|window|ahead|out))\\b|\\bnext (year|quarter|month)\\b`,
      'i',
    ),
    (m) => {
      // m[1]/m[2]: "next 6 months"; m[3]: "18 months out" (its unit in the words); m[4]: "next year".
      const unit =
        m[2] ??
        (m[3]
          ? /\b(years?|yrs?)\b/i.test(m[0])
            ? 'year'
            : /quarter/i.test(m[0])
              ? 'quarter'
              : 'month'
          : m[4])
      const n = m[1] ? countOf(m[1]) : m[3] ? countOf(m[3]) : 1
      if (n === undefined || !unit) return
      const days = unitDays(unit)
      push(out, {
        kind: 'horizon',
        months: horizonMonths(n * days),
        start: m.index,
        end: m.index + m[0].length,
      })
    },
  )
}

function readCounts(text: string, out: Slot[]) {
  // Scores: "over 0.9", "score above .8", "90%+ score", "high risk"
  each(
    text,
    /(?:\b(?:scores?\s*)?(?:over|above|at least|greater than|more than|higher than|min(?:imum)?|of)|(?:\bscores?\s*)?>=?|≥)\s*(0?\.\d+|1(?:\.0+)?|\d{1,2}\s?%)(?!\d)/i,
    (m) => {
      const raw = m[1] as string
      const v = raw.includes('%') ? Number(raw.replace('%', '')) / 100 : Number(raw)
      if (
        v > 0 &&
        v <= 1 &&
        /score|alert|risk|confidence|over|above/i.test(text) &&
        !/\$/.test(m[0])
      )
        push(out, { kind: 'score', min: v, start: m.index, end: m.index + m[0].length })
    },
  )
  // "score 0.9 or higher", "90%+", "scoring 90 or more", "alerts over 95" (out of 100)
  const scoreContext = /\b(scor\w*|alerts?|risk|confidence)\b/i.test(text)
  each(
    text,
    /(?:\bscor(?:e|es|ing)\s*(?:of\s*)?)?(?<![\w.$])(0?\.\d+|1(?:\.0+)?|\d{1,3}\s?%?)\s*(?:\+|or (?:higher|more|above|over|better)|and (?:up|above|over))(?!\w)/i,
    (m) => {
      if (!scoreContext || /\$/.test(m[0])) return
      const raw = (m[1] as string).replace(/\s/g, '')
      const n = Number(raw.replace('%', ''))
      const v = raw.includes('%') || n > 1 ? n / 100 : n
      if (v > 0 && v <= 1)
        push(out, { kind: 'score', min: v, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    /\b(?:scor(?:e|es|ing)\s*)?(?:over|above|>=?|at least|greater than|more than|higher than|min(?:imum)?|of)\s*(\d{2,3})(?!\s*(?:days?|weeks?|months?|%|\$|dollars|bucks|cards?))\b/i,
    (m) => {
      const n = Number(m[1])
      if (scoreContext && /scor|alert/i.test(text) && !/\$/.test(text) && n > 1 && n <= 100)
        push(out, { kind: 'score', min: n / 100, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    /\b(high[- ](?:risk|score|severity|confidence)|critical|severe|highest[- ]risk)\b/i,
    (m) => push(out, { kind: 'score', min: 0.8, start: m.index, end: m.index + m[0].length }),
  )
  // "30 seattle cards", "which 15 cards", "show me 20 alerts": that many of the list.
  each(
    text,
    new RegExp(
      `(?:^|\\b(?:which|what|the|show(?: me)?|list|give me|pull(?: up)?|get(?: me)?|see|lemme see|want|need)\\s+)${COUNT_RE}\\s+(?:[a-z]+\\s+){0,2}?(cards|alerts|holds|campaigns|approvals)\\b`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (!n || n < 2 || n > 500 || /^(a|an|one)$/i.test(m[1] as string)) return
      const at = m.index + m[0].indexOf(m[1] as string)
      push(out, { kind: 'top', value: n, start: at, end: at + (m[1] as string).length })
    },
  )
  // "which ten stores", "the 5 states": that many rows of a table by that dimension.
  each(
    text,
    new RegExp(
      `\\b(?:which|what|the)\\s+${COUNT_RE}\\s+(stores|locations|states|occasions|channels|segments)\\b`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (!n || n < 2 || n > 100 || /^(a|an|one)$/i.test(m[1] as string)) return
      const noun = (m[2] as string).toLowerCase().replace(/s$/, '')
      const of =
        noun === 'store' || noun === 'location'
          ? 'location'
          : noun === 'state'
            ? 'jurisdiction'
            : noun
      push(out, { kind: 'top', value: n, of, start: m.index, end: m.index + m[0].length })
    },
  )
  // top N / N biggest / the top one / worst 3
  each(
    text,
    new RegExp(
      `\\b(?:top|first|biggest|largest|highest|worst|best|leading|bottom|lowest|smallest)\\s+${COUNT_RE}\\b(?!\\s*(?:days?|weeks?|months?|%|\\$|dollars|bucks))(\\s+(?:stores?|locations?|shops?|branches|states?|jurisdictions?|occasions?|channels?|segments?|rules?))?`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      const noun = m[2]?.trim().toLowerCase().replace(/s$/, '')
      const of = !noun
        ? undefined
        : /stat|juris/.test(noun)
          ? 'jurisdiction'
          : ['occasion', 'channel', 'segment', 'rule'].includes(noun)
            ? noun
            : 'location'
      if (n && n <= 500)
        push(out, {
          kind: 'top',
          value: n,
          ...(of ? { of } : {}),
          start: m.index,
          end: m.index + m[0].length,
        })
    },
  )
  each(
    text,
    new RegExp(
      `\\b${COUNT_RE}\\s+(?:biggest|largest|highest|worst|top|best|most|riskiest|richest|oldest|newest)\\b`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (n && n > 1 && n <= 500)
        push(out, { kind: 'top', value: n, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    new RegExp(
      `\\b(?:last|latest|recent|most recent|past|first)\\s+${COUNT_RE}\\s+(holds?|transactions?|txns?|alerts?|approvals?|campaigns?|cards?|entries|rows|events|redemptions|loads)\\b`,
      'i',
    ),
    (m) => {
      const n = countOf(m[1] as string)
      if (n && n <= 100)
        push(out, { kind: 'top', value: n, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    new RegExp(`\\b${COUNT_RE}\\s+(?:transactions|txns|entries|rows|events)\\b`, 'i'),
    (m) => {
      const n = countOf(m[1] as string)
      if (n && n <= 100)
        push(out, { kind: 'top', value: n, start: m.index, end: m.index + m[0].length })
    },
  )
  each(
    text,
    /\b(?:the )?(?:top|worst|biggest|highest|riskiest|first|latest|newest|most recent) (?:one|alert|card|store|state|location)\b/i,
    (m) => push(out, { kind: 'top', value: 1, start: m.index, end: m.index + m[0].length }),
  )
  each(
    text,
    /\bwhich (?:of (?:our|the|my) )?(?:[a-z]+ )?(state|store|location|jurisdiction|occasion|channel|segment|rule|month)s? (?:has|had|have|is|does|did|sold|saw|sees|shows?|carries|holds|redeemed|loaded|lost|issued|took|made|got|gets|brought)\b.{0,40}?\b(?:most|highest|biggest|largest|least|lowest|fewest|the most)\b/i,
    (m) => {
      const noun = (m[1] as string).toLowerCase()
      const of =
        noun === 'state' || noun === 'jurisdiction'
          ? 'jurisdiction'
          : noun === 'store' || noun === 'location'
            ? 'location'
            : noun
      // From the noun on: "which texas store…" keeps "texas" for the state slot.
      const at = m.index + m[0].toLowerCase().indexOf(noun, 6)
      push(out, { kind: 'top', value: 1, of, start: at, end: m.index + m[0].length })
    },
  )
  // "just the last 5", "only 3", "10 of them", "limit it to 20", "keep 5": that many of the list.
  each(
    text,
    new RegExp(
      `\\b(?:(?:just|only)\\s+(?:the\\s+)?(?:(?:last|latest|first|top|newest|most recent)\\s+)?|(?:limit(?: it| that| them)? to|cap (?:it |that )?at|keep(?: only)?(?: the)?|max(?:imum)?(?: of)?)\\s+(?:the\\s+)?)${COUNT_RE}\\b(?!\\s*(?:${UNIT_PATTERN}\\b|%|\\$|dollars|bucks|cents|k\\b))|\\b${COUNT_RE}\\s+of (?:them|those|these|em)\\b`,
      'i',
    ),
    (m) => {
      const raw = (m[1] ?? m[3]) as string
      const n = countOf(raw)
      if (!n || n < 1 || n > 500 || /^(a|an)$/i.test(raw)) return
      push(out, { kind: 'top', value: n, start: m.index, end: m.index + m[0].length })
    },
  )
  // "dormant 1 year+", "idle 6 months or more", "nobody has touched in 200 days": idle days.
  if (/\b(dormant|idle|inactive|untouched|unused|touched|used|activity|quiet)\b/i.test(text))
    each(
      text,
      new RegExp(
        `\\b${COUNT_RE}\\s*${UNIT_PATTERN}\\s*(?:\\+|or (?:more|longer|over)|and (?:up|over|more|longer)|plus)(?!\\w)|\\b(?:nobody|no one|not|never|hasn'?t|haven'?t|hasnt|havent|wasn'?t|weren'?t)\\b[\\w\\s']{0,25}?\\b(?:touched|used|active|redeemed|swiped)\\s+(?:in|for)\\s+(?:the\\s+)?(?:last\\s+|past\\s+)?(?:over\\s+|more than\\s+)?${COUNT_RE}\\+?\\s*${UNIT_PATTERN}\\b|(?:>=?|≥)\\s*${COUNT_RE}\\s*${UNIT_PATTERN}\\b`,
        'i',
      ),
      (m) => {
        const n = countOf((m[1] ?? m[3] ?? m[5]) as string)
        const unit = (m[2] ?? m[4] ?? m[6]) as string
        if (n === undefined) return
        push(out, {
          kind: 'idleDays',
          days: Math.round(n * unitDays(unit)),
          start: m.index,
          end: m.index + m[0].length,
        })
      },
    )
  // idle N days / no activity for 6 months / 120+ days idle
  each(
    text,
    new RegExp(
      `\\b(?:inactive|idle|dormant|unused|untouched|not used|quiet|sleeping|no activity|no use|no transactions?|not touched|haven'?t been (?:used|touched)|without (?:activity|use))\\s*(?:for|in|over|of|since)?\\s*(?:the\\s+)?(?:last\\s+|past\\s+)?(?:at least\\s+|more than\\s+|over\\s+)?${COUNT_RE}\\+?\\s*${UNIT_PATTERN}\\b|\\b${COUNT_RE}\\+?\\s*${UNIT_PATTERN}\\s+(?:of\\s+)?(?:inactivity|idle|dormant|without (?:activity|use)|no activity|or more|untouched|unused|quiet|with no (?:activity|use|transactions))\\b|\\b(?:more than|over|at least|longer than)\\s+${COUNT_RE}\\s*${UNIT_PATTERN}\\s+(?:idle|inactive|dormant|without)|\\b(?:older than|idle (?:for )?(?:more than|over)|untouched for|quiet for)\\s+${COUNT_RE}\\+?\\s*${UNIT_PATTERN}`,
      'i',
    ),
    (m) => {
      const n = countOf((m[1] ?? m[3] ?? m[5] ?? m[7]) as string)
      const unit = (m[2] ?? m[4] ?? m[6] ?? m[8]) as string
      if (n === undefined) return
      push(out, {
        kind: 'idleDays',
        days: Math.round(n * unitDays(unit)),
        start: m.index,
        end: m.index + m[0].length,
      })
    },
  )
  each(
    text,
    new RegExp(
      `\\b${COUNT_RE}\\s+(?:prior|previous|earlier|past)?\\s*(?:visits?|times|trips)\\b|\\bfirst[- ]time\\b|\\bfirst visit\\b|\\bnew customer\\b`,
      'i',
    ),
    (m) =>
      push(out, {
        kind: 'visits',
        value: m[1] ? (countOf(m[1]) ?? 0) : 0,
        start: m.index,
        end: m.index + m[0].length,
      }),
  )
}

function readPlaces(text: string, vocabulary: Vocabulary, out: Slot[]) {
  const lower = text.toLowerCase()
  // Stores first: "Portland Downtown" and "New York Downtown" are stores, not states.
  // "in store", "instore": the sales channel, never a store's name read loosely.
  for (const match of findStores(lower, vocabulary.stores))
    if (
      !/^(?:in[- ]?store|instore|the store|a store|store)$/.test(
        lower.slice(match.start, match.end),
      )
    )
      push(out, match)
  each(text, /\bUS-([A-Z]{2})\b/i, (m) => {
    const code = (m[1] as string).toUpperCase()
    if (STATE_CODES.has(code))
      push(out, { kind: 'state', value: `US-${code}`, start: m.index, end: m.index + m[0].length })
  })
  const names = Object.keys(US_STATES).sort((a, b) => b.length - a.length)
  for (const name of names)
    each(lower, new RegExp(`\\b${name}\\b`), (m) => {
      if (name === 'washington' && /washington,?\s+d\.?c\.?/.test(lower.slice(m.index))) return
      push(out, {
        kind: 'state',
        value: `US-${US_STATES[name]}`,
        start: m.index,
        end: m.index + m[0].length,
      })
    })
  each(text, /\b([A-Za-z]{2})\b/, (m) => {
    const raw = m[1] as string
    const code = raw.toUpperCase()
    if (!STATE_CODES.has(code)) return
    if (raw !== code && WORDLIKE_CODES.has(code)) return
    if (
      raw === code &&
      raw.length === 2 &&
      (code === 'IN' ||
        code === 'OR' ||
        code === 'ME' ||
        code === 'OK' ||
        code === 'HI' ||
        code === 'ID') &&
      !/\b(in|for|vs\.?|versus|and|or|,)\s*$/i.test(text.slice(0, m.index))
    )
      return
    push(out, { kind: 'state', value: `US-${code}`, start: m.index, end: m.index + m[0].length })
  })
  // A misspelt state ("texs", "califronia") when nothing else matched there.
  each(lower, /\b[a-z]{5,}\b/, (m) => {
    const word = m[0]
    if (out.some((s) => s.start < m.index + word.length && m.index < s.end)) return
    if (COMMON_WORDS.has(word)) return
    const max = word.length >= 8 ? 2 : 1
    const hit = STATE_NAMES_5.find(
      (name) => name[0] === word[0] && distance(word, name, max) <= max,
    )
    if (hit)
      push(out, {
        kind: 'state',
        value: `US-${US_STATES[hit]}`,
        start: m.index,
        end: m.index + word.length,
      })
  })
}

const STATE_NAMES_5 = Object.keys(US_STATES).filter((n) => n.length >= 5 && !n.includes(' '))

/** Words the state matcher must never take for a misspelt state. */
const COMMON_WORDS = new Set([
  'down',
  'change',
  'orange',
  'engine',
  'indiana',
  'alert',
  'alerts',
  'texts',
  'taxes',
  'states',
  'state',
  'georgie',
  'ohio',
  'idaho',
  'maine',
  'other',
  'those',
  'these',
  'there',
  'where',
  'their',
  'about',
  'cards',
  'hello',
  'thanks',
])

const STORE_CUE =
  /^\s*(?:store|location|shop|branch|outlet|site|mall|downtown|register|terminal)s?\b/
const PLURAL_STORE_CUE = /^\s*(?:stores|locations|shops|branches|outlets|sites)\b/
const STORE_CUE_BEFORE = /\b(?:at|from|in|the|our|store|location|shop|branch|@)\s+(?:the\s+)?$/

/** Stores named in the text: exact names first, then near-misses of a name ("brooklin store"). */
export function findStores(lower: string, stores: readonly Store[]): Slot[] {
  const out: Slot[] = []
  // "NY downtown", "nyc dt", "SA downtown", "portland dt": a branch by its short name, first.
  for (const alias of storeAliases(stores).filter((a) => a.branch))
    each(lower, new RegExp(`(?<![\\w-])${escapeRegExp(alias.words)}(?![\\w-])`), (m) => {
      const end = m.index + m[0].length
      if (!out.some((s) => s.start < end && m.index < s.end))
        out.push({
          kind: 'store',
          value: alias.store.id,
          name: alias.store.name,
          start: m.index,
          end,
        })
    })
  const byLength = [...stores].sort((a, b) => b.name.length - a.name.length)
  for (const store of byLength) {
    const name = store.name.toLowerCase()
    each(lower, new RegExp(`\\b${escapeRegExp(name)}\\b`), (m) => {
      const start = m.index
      let end = m.index + m[0].length
      const after = lower.slice(end)
      const cue = STORE_CUE.exec(after)
      // A store whose name is a state's ("New York") is the store only when called one, in the
      // singular: "New York stores" are the state's stores (Brooklyn and Buffalo too).
      if (US_STATES[name] !== undefined && (!cue || PLURAL_STORE_CUE.test(after))) return
      if (cue) end += cue[0].length
      // "the 3 boston stores", "each of the Portland stores", "in boston": every store of a
      // city whose name other stores share ("Boston", "Boston Mall"): the tools read a city.
      const city =
        stores.some((o) => o.name.toLowerCase().startsWith(`${name} `)) &&
        (/^\s*(?:stores|locations|shops|branches)\b/.test(after) ||
          /\b(?:all|every|each of|both|the (?:\d+|two|three|four|five))\s+(?:of\s+)?(?:the\s+|our\s+)?$/.test(
            lower.slice(0, start),
          ) ||
          /\bin\s+$/.test(lower.slice(0, start)))
      if (!out.some((s) => s.start < end && start < s.end))
        out.push({
          kind: 'store',
          value: city ? store.name : store.id,
          name: store.name,
          start,
          end,
        })
    })
  }
  // "LA", "nyc", "SA": a store by its city's initials, when called a store.
  for (const alias of storeAliases(stores).filter((a) => !a.branch))
    each(lower, new RegExp(`(?<![\\w-])${escapeRegExp(alias.words)}(?![\\w-])`), (m) => {
      const start = m.index
      const end = start + m[0].length
      if (out.some((s) => s.start < end && start < s.end)) return
      const after = lower.slice(end)
      const before = lower.slice(0, start)
      if (
        !alias.branch &&
        !STORE_CUE.test(after) &&
        !/^\s*(?:cards?|liability|redemptions|sales|refunds|alerts|loads)\b/.test(after) &&
        // "scan LA": a scan is of a store
        !/\b(?:at|from|scan|sweep|rescan)\s+(?:the\s+)?$/.test(before)
      )
        return
      out.push({ kind: 'store', value: alias.store.id, name: alias.store.name, start, end })
    })
  each(lower, /\bloc_\d{1,4}\b/, (m) => {
    const store = stores.find((s) => s.id === m[0])
    out.push({
      kind: 'store',
      value: m[0],
      name: store?.name ?? m[0],
      start: m.index,
      end: m.index + m[0].length,
    })
  })
  each(lower, /\b(?:store|location|shop|branch)\s*#?\s*(\d{1,3})\b/, (m) => {
    const id = `loc_${(m[1] as string).padStart(3, '0')}`
    const store = stores.find((s) => s.id === id)
    if (store || stores.length === 0)
      out.push({
        kind: 'store',
        value: id,
        name: store?.name ?? id,
        start: m.index,
        end: m.index + m[0].length,
      })
  })
  if (stores.length === 0) return out
  // Near misses: one or two words just before "store"/"location", or after "at the".
  const fuse = new Fuse(stores, { keys: ['name'], includeScore: true, threshold: 0.35 })
  each(
    lower,
    /\b([a-z][a-z.'-]+(?:\s+[a-z][a-z.'-]+)?)\s+(?:store|location|shop|branch)\b/,
    (m) => {
      const words = m[1] as string
      const start = m.index
      if (out.some((s) => s.start < m.index + m[0].length && start < s.end)) return
      for (const candidate of [words, words.split(/\s+/).at(-1) as string]) {
        if (
          /^(the|our|that|this|each|every|per|which|what|any|one|a|by|main|flagship|other|down|out|up|broken|split|store|stores)$/.test(
            candidate,
          ) ||
          // "broken down store by store": a breakdown, not a store's name
          /^(?:broken|split|down|out)\b/.test(candidate)
        )
          continue
        const hit = fuse.search(candidate)[0]
        if (hit && (hit.score ?? 1) < 0.35) {
          const at = start + m[0].indexOf(candidate)
          out.push({
            kind: 'store',
            value: hit.item.id,
            name: hit.item.name,
            start: at,
            end: m.index + m[0].length,
          })
          return
        }
      }
    },
  )
  // A store called by the start of its name ("san fran", "jax"): every word a prefix.
  each(lower, /\b(?:at|from|in)\s+(?:the\s+)?([a-z]{2,}(?:\s+[a-z]{3,})?)\b/, (m) => {
    const words = (m[1] as string).split(/\s+/)
    const at = m.index + m[0].indexOf(m[1] as string)
    if (out.some((s) => s.start < at + (m[1] as string).length && at < s.end)) return
    const hits = stores.filter((s) => {
      const parts = s.name.toLowerCase().split(/\s+/)
      return (
        words.length <= parts.length &&
        words.every((w, i) => w.length >= 3 && (parts[i] as string).startsWith(w)) &&
        words.some((w, i) => w !== parts[i])
      )
    })
    if (hits.length >= 1) {
      const best = [...hits].sort((a, b) => a.name.length - b.name.length)[0] as Store
      out.push({
        kind: 'store',
        value: best.id,
        name: best.name,
        start: at,
        end: at + (m[1] as string).length,
      })
    }
  })
  // "jax liability rn": the start of a store's name opening the request, before what is asked.
  each(
    lower,
    /^\s*([a-z]{3,})(?=\s+(?:liability|redemptions|sales|refunds|alerts|cards|loads|fraud|store|numbers)\b)/,
    (m) => {
      const word = m[1] as string
      if (/^(new|all|any|our|the|top|big|old|low|san|los|how|who|why|net)$/.test(word)) return
      const hits = stores.filter((s) => {
        const first = s.name.toLowerCase().split(/\s+/)[0] as string
        return first.startsWith(word) && first !== word
      })
      const at = m.index + m[0].indexOf(word)
      const shortest = [...hits].sort((a, b) => a.name.length - b.name.length)[0]
      if (shortest && new Set(hits.map((h) => h.name.split(/\s+/)[0])).size === 1)
        out.push({
          kind: 'store',
          value: shortest.id,
          name: shortest.name,
          start: at,
          end: at + word.length,
        })
    },
  )
  each(lower, /\b(?:at|from)\s+(?:the\s+)?([a-z][a-z.'-]{3,}(?:\s+[a-z][a-z.'-]+)?)\b/, (m) => {
    const words = m[1] as string
    const at = m.index + m[0].indexOf(words)
    if (out.some((s) => s.start < at + words.length && at < s.end)) return
    const hit = fuse.search(words)[0]
    if (hit && (hit.score ?? 1) < 0.2 && STORE_CUE_BEFORE.test(lower.slice(0, at)))
      out.push({
        kind: 'store',
        value: hit.item.id,
        name: hit.item.name,
        start: at,
        end: at + words.length,
      })
  })
  return out
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const BRANCH_WORDS: Record<string, string[]> = {
  downtown: ['downtown', 'dt', 'dtwn', 'down town', 'dwntwn'],
  mall: ['mall'],
}

/**
 * Short names of the chain's stores: a city's initials ("la", "sa", "ny", "nyc"), with a
 * branch's short name after it ("ny downtown", "portland dt"). The initials alone stand for a
 * store only when called one (see findStores), and never when they are a state the chain
 * trades in.
 */
function storeAliases(
  stores: readonly Store[],
): { words: string; store: Store; branch: boolean }[] {
  const states = new Set(stores.map((s) => s.jurisdiction?.replace(/^US-/, '').toLowerCase()))
  const out: { words: string; store: Store; branch: boolean }[] = []
  for (const store of stores) {
    const words = store.name.toLowerCase().split(/\s+/)
    const last = words.at(-1) as string
    const branch = BRANCH_WORDS[last] && words.length > 1 ? last : undefined
    const city = branch ? words.slice(0, -1) : words
    const cityNames = [city.join(' ')]
    if (city.length > 1) cityNames.push(city.map((w) => w[0]).join(''))
    if (city.join(' ') === 'new york') cityNames.push('nyc')
    for (const c of cityNames) {
      if (branch)
        for (const b of BRANCH_WORDS[branch] ?? [])
          if (`${c} ${b}` !== store.name.toLowerCase())
            out.push({ words: `${c} ${b}`, store, branch: true })
      if (!branch && c !== city.join(' ') && !states.has(c) && US_STATES[c] === undefined)
        out.push({ words: c, store, branch: false })
      if (!branch && c !== city.join(' ') && US_STATES[c] === undefined && states.has(c)) continue
    }
  }
  // Longest first, so "nyc dt" is read before "nyc".
  return out.sort((a, b) => b.words.length - a.words.length)
}

/** "mobile app", "in store": two words with one reading are one slot, applied or named whole. */
function mergeAdjacentWords(lower: string, out: Slot[]) {
  for (let i = 0; i < out.length; i++) {
    const a = out[i] as Slot
    if (a.kind !== 'word') continue
    const j = out.findIndex(
      (b) =>
        b !== a &&
        b.kind === 'word' &&
        b.group === a.group &&
        b.value === a.value &&
        b.start > a.end &&
        /^\s+$/.test(lower.slice(a.end, b.start)),
    )
    if (j < 0) continue
    a.end = (out[j] as Slot).end
    out.splice(j, 1)
    i--
  }
}

function readWords(text: string, out: Slot[]) {
  const lower = text.toLowerCase()
  // "refunds at san antonio" is a figure; "refund alerts", "refund abuse" a rule.
  const alertTalk = /\b(alerts?|fraud|abuse|flag\w*|suspicious|hits?|rule)\b/.test(lower)
  // Most specific first: "reload and drain" is not "drain", "held-card redemptions" not a figure.
  for (const rule of FRAUD_RULES)
    each(lower, rule.re, (m) => {
      if (rule.value === 'refund_abuse' && !alertTalk && /^refunds?$/.test(m[0])) return
      push(out, { kind: 'rule', value: rule.value, start: m.index, end: m.index + m[0].length })
    })
  // The tools' own ids, as people copy them from an answer: "bulk_purchase", "value_loaded".
  each(lower, /\b([a-z]+(?:_[a-z]+)+)\b/, (m) => {
    const id = m[1] as string
    const at = { start: m.index, end: m.index + m[0].length }
    if (RULE_IDS.has(id)) push(out, { kind: 'rule', value: id, ...at })
    else if (METRIC_IDS.has(id)) push(out, { kind: 'metric', value: id, ...at })
  })
  for (const g of GROUPS)
    each(lower, g.re, (m) =>
      push(out, { kind: 'groupBy', value: g.value, start: m.index, end: m.index + m[0].length }),
    )
  // "by state and month", "by store & channel": the second dimension after the first.
  each(
    lower,
    /\b(?:by|per) [a-z]+ (?:and|&|then|,) ?(state|jurisdiction|store|location|month|week|day|quarter|occasion|channel|segment|rule)s?\b/,
    (m) => {
      const word = m[1] as string
      const value = word === 'state' ? 'jurisdiction' : word === 'store' ? 'location' : word
      const start = m.index + m[0].lastIndexOf(word)
      push(out, { kind: 'groupBy', value, start, end: start + word.length })
    },
  )
  for (const w of METRICS)
    each(lower, w.re, (m) =>
      push(out, { kind: 'metric', value: w.value, start: m.index, end: m.index + m[0].length }),
    )
  // "sorted by store": an order by the rows' key, over the "by store" that also groups them.
  each(lower, KEY_ORDER, (m) => {
    const slot: Slot = { kind: 'sort', value: 'key', start: m.index, end: m.index + m[0].length }
    const clash = out.some(
      (s) => s.kind !== 'word' && s.kind !== 'groupBy' && s.start < slot.end && slot.start < s.end,
    )
    if (!clash) out.push(slot)
  })
  for (const s of SORTS)
    each(lower, s.re, (m) =>
      push(out, { kind: 'sort', value: s.value, start: m.index, end: m.index + m[0].length }),
    )
  for (const w of WORDS)
    each(lower, w.re, (m) => {
      // Word slots may overlap each other (one word, several readings) and the figure named
      // ("pending approval"); not other slots.
      if (
        out.some(
          (s) =>
            s.kind !== 'word' &&
            s.kind !== 'metric' &&
            s.start < m.index + m[0].length &&
            m.index < s.end,
        )
      )
        return
      out.push({
        kind: 'word',
        group: w.group,
        value: w.value,
        start: m.index,
        end: m.index + m[0].length,
      })
    })
  mergeAdjacentWords(lower, out)
  sideBySide(lower, out)
  for (const c of CATEGORIES)
    each(lower, new RegExp(`\\b${c}\\b`), (m) =>
      out.push({
        kind: 'word',
        group: 'category',
        value: c,
        start: m.index,
        end: m.index + m[0].length,
      }),
    )
  each(lower, /\b(csv|spreadsheet|excel|export(?:ed)?|download(?:able)?)\b/, (m) =>
    push(out, { kind: 'csv', start: m.index, end: m.index + m[0].length }),
  )
}

/**
 * "mobile vs online vs in store", "holiday or birthday": two or more channels (occasions) set side
 * by side are rows by channel (occasion), read as one group-by over the words that named them.
 */
function sideBySide(lower: string, out: Slot[]) {
  for (const group of ['channel', 'occasion'] as const) {
    const words = out
      .filter((s): s is Extract<Slot, { kind: 'word' }> => s.kind === 'word' && s.group === group)
      .sort((a, b) => a.start - b.start)
    let run: typeof words = []
    const flush = () => {
      const first = run[0]
      const last = run.at(-1)
      if (first && last && run.length >= 2 && new Set(run.map((w) => w.value)).size >= 2)
        out.push({ kind: 'groupBy', value: group, start: first.start, end: last.end })
      run = []
    }
    for (const w of words) {
      const prev = run.at(-1)
      if (
        prev &&
        !/^\s*(?:,|vs\.?|versus|v\.?|or|and|against|compared (?:to|with)|\/|&)?\s*(?:(?:vs\.?|or|and)\s+)?$/.test(
          lower.slice(prev.end, w.start),
        )
      )
        flush()
      run.push(w)
    }
    flush()
  }
}

function readNumbers4(text: string, out: Slot[]) {
  each(
    text,
    /(?<![$\d.,:/-])\b(\d{4})\b(?!\d|[.,:/]\d|\s*(?:dollars|bucks|%|cards|alerts))/,
    (m) => {
      const start = m.index
      const end = start + 4
      if (out.some((s) => s.start < end && start < s.end)) return
      out.push({ kind: 'number4', value: m[1] as string, start, end })
    },
  )
}

/** Every fact in the request, none overlapping (word readings excepted), in text order. */
export function readSlots(
  text: string,
  vocabulary: Vocabulary,
  calendar: Calendar = calendarOf(vocabulary),
): Slot[] {
  const out: Slot[] = []
  readIds(text, out)
  readMoney(text, out)
  readHorizons(text, out)
  for (const d of joinRanges(readDates(text, calendar), text)) {
    // "jan-mar next year" is a period, not the horizon "next year" inside it.
    const inside = out.findIndex(
      (s) =>
        s.kind === 'horizon' &&
        s.start >= d.start &&
        s.end <= d.end &&
        d.end - d.start > s.end - s.start,
    )
    // ("next 3 months" read as one day three months on is the horizon, not a period.)
    if (inside >= 0 && d.kind === 'range' && d.from !== d.to) out.splice(inside, 1)
    push(out, { kind: 'date', value: d, start: d.start, end: d.end })
  }
  readPlaces(text, vocabulary, out)
  readCounts(text, out)
  readWords(text, out)
  readNumbers4(text, out)
  // "high score ones only (0.95+)": a number said beats the words' rough reading of it.
  if (out.some((s) => s.kind === 'score' && /\d/.test(text.slice(s.start, s.end))))
    for (let i = out.length - 1; i >= 0; i--) {
      const s = out[i] as Slot
      if (s.kind === 'score' && !/\d/.test(text.slice(s.start, s.end))) out.splice(i, 1)
    }
  return out.sort((a, b) => a.start - b.start)
}
