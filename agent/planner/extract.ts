/**
 * Reading the facts out of a request: card ids and last four digits, time windows, horizons,
 * states, stores, amounts and ids. Each function returns undefined when the text does not say.
 */

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
}
const STATE_CODES = new Set(Object.values(US_STATES))
const STATE_NAMES = Object.keys(US_STATES).sort((a, b) => b.length - a.length)

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  eighteen: 18,
  twenty: 20,
  thirty: 30,
  sixty: 60,
  ninety: 90,
}

function num(word: string): number | undefined {
  const n = Number(word.replaceAll(',', ''))
  if (Number.isFinite(n)) return n
  return NUMBER_WORDS[word.toLowerCase()]
}

const UNIT_DAYS: Record<string, number> = {
  day: 1,
  week: 7,
  fortnight: 14,
  month: 30,
  quarter: 91,
  year: 365,
}
const UNIT_MONTHS: Record<string, number> = { month: 1, quarter: 3, year: 12 }
const N =
  '(\\d[\\d,]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen|twenty|thirty|sixty|ninety)'
const UNIT = '(day|week|fortnight|month|quarter|year)s?'

/** A card id (`gc_1a2b3c4d`). */
export function cardId(text: string): string | undefined {
  return /\b(gc_[0-9a-z]{4,})\b/i.exec(text)?.[1]?.toLowerCase()
}

/** The last four digits of a card number, when the text gives them as such. */
export function last4(text: string): string | undefined {
  const explicit =
    /(?:ending|ends|ended)\s+(?:in\s+|with\s+|on\s+)?(\d{4})\b|last\s+(?:four|4)(?:\s+digits)?(?:\s+(?:of|are|is|=|:))?\s*(\d{4})\b|(?:\*{2,}|x{2,}|…|\.{3})\s*(\d{4})\b|\bcard\s+#?(\d{4})\b|\b(\d{4})\s+card\b/i.exec(
      text,
    )
  return explicit?.slice(1).find((g) => g !== undefined)
}

/** A card reference: its id, else its last four digits. */
export function cardRef(text: string): string | undefined {
  return cardId(text) ?? last4(text)
}

/** A look-back window in days: "last 30 days", "past week", "since March", "today". */
export function days(text: string, now = new Date()): number | undefined {
  const t = text.toLowerCase()
  const m = new RegExp(
    `(?:last|past|previous|recent|within|in the last|over the last|over the past)\\s+${N}?\\s*${UNIT}`,
  ).exec(t)
  if (m) {
    const n = m[1] ? num(m[1]) : 1
    if (n !== undefined) return Math.round(n * (UNIT_DAYS[m[2] as string] ?? 1))
  }
  const ago = new RegExp(`${N}\\s+${UNIT}\\s+(?:ago|back)`).exec(t)
  if (ago?.[1]) {
    const n = num(ago[1])
    if (n !== undefined) return Math.round(n * (UNIT_DAYS[ago[2] as string] ?? 1))
  }
  if (/\btoday\b|last 24 hours|past 24 hours/.test(t)) return 1
  if (/\byesterday\b/.test(t)) return 2
  if (/\bthis week\b/.test(t)) return 7
  if (/\bthis month\b/.test(t)) return now.getUTCDate()
  if (/\bthis year\b|year to date|\bytd\b/.test(t)) {
    const start = Date.UTC(now.getUTCFullYear(), 0, 1)
    return Math.max(1, Math.ceil((now.getTime() - start) / 86_400_000))
  }
  const since = /since\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*/.exec(t)
  if (since?.[1]) {
    const month = [
      'jan',
      'feb',
      'mar',
      'apr',
      'may',
      'jun',
      'jul',
      'aug',
      'sep',
      'oct',
      'nov',
      'dec',
    ].indexOf(since[1])
    let year = now.getUTCFullYear()
    if (month > now.getUTCMonth()) year--
    return Math.max(1, Math.ceil((now.getTime() - Date.UTC(year, month, 1)) / 86_400_000))
  }
  return undefined
}

/** A forecast or report horizon in months: "next 6 months", "12-month", "next year". */
export function horizonMonths(text: string): number | undefined {
  const t = text.toLowerCase()
  const m =
    new RegExp(
      `(?:next|coming|over|for|within|horizon of|out)\\s+(?:the\\s+)?(?:next\\s+)?${N}?\\s*${UNIT}`,
    ).exec(t) ??
    new RegExp(
      `${N}[-\\s]${UNIT.replace('s?', '')}\\b(?:\\s+(?:horizon|forecast|outlook|view|window))?`,
    ).exec(t)
  if (m) {
    const n = m[1] ? num(m[1]) : 1
    const unit = m[2] as string
    if (n !== undefined && UNIT_MONTHS[unit] !== undefined)
      return Math.round(n * (UNIT_MONTHS[unit] as number))
    if (n !== undefined && unit === 'week') return Math.max(1, Math.round(n / 4))
    if (n !== undefined && unit === 'day') return Math.max(1, Math.round(n / 30))
  }
  if (/\bnext year\b|\bcoming year\b/.test(t)) return 12
  return undefined
}

/** A US jurisdiction (`US-CA`) by name, `US-XX`, or an upper-case two-letter code. */
export function jurisdiction(text: string): string | undefined {
  const prefixed = /\bUS-([A-Z]{2})\b/i.exec(text)
  if (prefixed?.[1] && STATE_CODES.has(prefixed[1].toUpperCase()))
    return `US-${prefixed[1].toUpperCase()}`
  const lower = text.toLowerCase()
  for (const name of STATE_NAMES) {
    const at = lower.search(new RegExp(`\\b${name}\\b`))
    if (at < 0) continue
    // "Washington" is a state unless it is "Washington DC".
    if (name === 'washington' && /washington,?\s+d\.?c\.?/.test(lower)) continue
    return `US-${US_STATES[name]}`
  }
  const codes = text.match(/\b[A-Z]{2}\b/g) ?? []
  for (const code of codes)
    if (STATE_CODES.has(code) && code !== 'ID' && code !== 'OK' && code !== 'IN' && code !== 'ME')
      return `US-${code}`
  return undefined
}

/** A store: `loc_012`, "store 12", "location 7". */
export function location(text: string): string | undefined {
  const id = /\b(loc_\d{1,4})\b/i.exec(text)?.[1]
  if (id) return id.toLowerCase()
  const n = /\b(?:store|location|shop|branch)\s*#?\s*(\d{1,3})\b/i.exec(text)?.[1]
  return n ? `loc_${n.padStart(3, '0')}` : undefined
}

/** An amount in cents after a word like "over" / "under": "over $100", "less than 50 dollars". */
export function amountBound(text: string, side: 'min' | 'max'): number | undefined {
  const words =
    side === 'min'
      ? '(?:over|above|more than|greater than|at least|>=?|exceeding|min(?:imum)?(?: of)?|bigger than|larger than)'
      : '(?:under|below|less than|at most|<=?|max(?:imum)?(?: of)?|smaller than|up to)'
  const m = new RegExp(
    `${words}\\s*\\$?\\s*(\\d[\\d,]*(?:\\.\\d{1,2})?)(?![\\d,]|\\.\\d|\\s*(?:days?|weeks?|months?|years?|visits?|times|%))\\s*(k|dollars|usd|bucks)?`,
    'i',
  ).exec(text)
  if (!m?.[1]) return undefined
  const value = Number(m[1].replaceAll(',', '')) * (m[2]?.toLowerCase() === 'k' ? 1000 : 1)
  return Math.round(value * 100)
}

/** The first dollar amount: "$125", "125 dollars", "$1,250.50". */
export function dollars(text: string): number | undefined {
  const m =
    /\$\s*(\d[\d,]*(?:\.\d{1,2})?)|(\d[\d,]*(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)\b/i.exec(text)
  const v = m?.[1] ?? m?.[2]
  return v ? Math.round(Number(v.replaceAll(',', '')) * 100) : undefined
}

/** An id after a word: "alert 12", "approval #3", "campaign no. 4". */
export function idAfter(text: string, words: string): number | undefined {
  const m = new RegExp(`\\b(?:${words})\\s*(?:#|no\\.?|number|id)?\\s*(\\d+)\\b`, 'i').exec(text)
  return m?.[1] ? Number(m[1]) : undefined
}

/** A bare "#12" anywhere. */
export function hashId(text: string): number | undefined {
  const m = /#(\d+)\b/.exec(text)
  return m?.[1] ? Number(m[1]) : undefined
}

/** Days of inactivity: "inactive for 60 days", "no activity in 4 months", "idle 120+ days". */
export function inactiveDays(text: string): number | undefined {
  const t = text.toLowerCase()
  const m =
    new RegExp(
      `(?:inactive|idle|dormant|unused|untouched|not used|(?:nobody|no one) (?:has )?(?:used|touched|redeemed)|no activity|without activity|no use|haven'?t been (?:used|touched|redeemed)|not been (?:used|touched|redeemed)|no transactions?)[^\\d]{0,30}?${N}\\+?\\s*${UNIT}`,
    ).exec(t) ??
    new RegExp(
      `${N}\\+?\\s*${UNIT}\\s+(?:of\\s+)?(?:inactivity|without|idle|dormant|or more|with no|since)`,
    ).exec(t) ??
    new RegExp(`(?:more than|over|at least|longer than)\\s+${N}\\s*${UNIT}`).exec(t)
  if (!m?.[1]) return undefined
  const n = num(m[1])
  return n === undefined ? undefined : Math.round(n * (UNIT_DAYS[m[2] as string] ?? 1))
}

/** Why, for a hold or release: the words after "because", "due to", "reason:", "for suspected…". */
export function reason(text: string): string | undefined {
  const m =
    /(?:because(?:\s+of)?|reason(?:\s+is)?\s*:?|due to|citing)\s+(.+)$/i.exec(text) ??
    /\bfor\s+((?:suspected|possible|likely|confirmed|potential)\s+.+)$/i.exec(text)
  const r = m?.[1]?.trim().replace(/[.!]+$/, '')
  return r && r.length >= 3 ? r : undefined
}

/** A number of visits: "2 prior visits", "visited 3 times", "first visit". */
export function visits(text: string): number | undefined {
  const t = text.toLowerCase()
  if (/first[-\s]time|first visit|new customer/.test(t)) return 0
  const m =
    new RegExp(`${N}\\s+(?:prior|previous|earlier|past)?\\s*(?:visits?|times|trips)`).exec(t) ??
    new RegExp(`visited\\s+${N}\\s+times`).exec(t)
  return m?.[1] ? num(m[1]) : undefined
}
