import * as chrono from 'chrono-node'
import { chainDayOf, wallClock } from '../../core/index.ts'

/**
 * Dates in a request, read on the chain's own calendar (docs/planner.md §Dates). Named periods
 * ("last month", "Q3", "since summer", "end of last quarter", "last 2 wks") are resolved here;
 * explicit dates ("nov 1", "jan 1 2026", "Monday", "2026-03-15") by chrono-node. Every result
 * says which characters of the request it read, so the planner can tell what it did not use.
 */

/** A calendar day, `YYYY-MM-DD`, on the chain's calendar. */
export type Day = string

export type DateSlot = {
  /** `range`: from–to; `since`: from, open-ended; `asOf`: the end of one day; `before`: to. */
  kind: 'range' | 'since' | 'asOf' | 'before'
  from?: Day
  to?: Day
  /** The window in days up to today, when the words were a look-back ("last 30 days"). */
  days?: number
  /** A named quarter or month in either direction ("Q1"): the planner picks past or future. */
  quarter?: { q: number; year?: number }
  /** The words named a month, not a day ("as of 2026-01"). */
  grain?: 'month'
  start: number
  end: number
}

export type Calendar = { timezone: string; now: Date }

const DAY_MS = 86_400_000

/** Today's date on the chain's calendar. */
export function localDay(at: Date, timezone: string): Day {
  return chainDayOf(at.getTime(), timezone)
}

const parts = (d: Day) => d.split('-').map(Number) as [number, number, number]
const fromUtc = (ms: number): Day => new Date(ms).toISOString().slice(0, 10)
const utc = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d)
export const addDays = (d: Day, n: number): Day => {
  const [y, m, day] = parts(d)
  return fromUtc(utc(y, m, day) + n * DAY_MS)
}
/** The earlier of two calendar days (they compare as text). */
const earlier = (a: Day, b: Day): Day => (a < b ? a : b)
const monthStart = (y: number, m: number): Day => fromUtc(utc(y, m, 1))
const monthEnd = (y: number, m: number): Day => fromUtc(utc(y, m + 1, 1) - DAY_MS)
const quarterOf = (m: number) => Math.floor((m - 1) / 3) + 1
export const quarterRange = (y: number, q: number): { from: Day; to: Day } => ({
  from: monthStart(y, (q - 1) * 3 + 1),
  to: monthEnd(y, q * 3),
})
const daysBetween = (a: Day, b: Day) => {
  const [y1, m1, d1] = parts(a)
  const [y2, m2, d2] = parts(b)
  return Math.round((utc(y2, m2, d2) - utc(y1, m1, d1)) / DAY_MS)
}

/** Month names by their first three letters, January first. */
export const MONTHS = [
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
] as const
const MONTH_RE =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)'
/** 1–12 for a month name or its abbreviation (`nov`, `November`). */
export const monthNumber = (word: string) =>
  MONTHS.indexOf(word.slice(0, 3) as (typeof MONTHS)[number]) + 1

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
  fourteen: 14,
  fifteen: 15,
  eighteen: 18,
  twenty: 20,
  'twenty-four': 24,
  'twenty four': 24,
  thirty: 30,
  'thirty-six': 36,
  'thirty six': 36,
  forty: 40,
  'forty-eight': 48,
  fifty: 50,
  sixty: 60,
  ninety: 90,
}
export const COUNT_RE =
  '(\\d[\\d,]*|twenty[- ]four|thirty[- ]six|forty[- ]eight|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|eighteen|twenty|thirty|forty|fifty|sixty|ninety)'
export function countOf(word: string): number | undefined {
  const n = Number(word.replaceAll(',', ''))
  return Number.isFinite(n) ? n : NUMBER_WORDS[word.toLowerCase().replace(/\s+/, ' ')]
}
const UNIT_RE = '(days?|wks?|weeks?|fortnights?|months?|mos?|mths?|quarters?|qtrs?|years?|yrs?)'
export function unitDays(unit: string): number {
  const u = unit.toLowerCase()
  if (/^(d|days?)$/.test(u)) return 1
  if (/^(w|wks?|weeks?)$/.test(u)) return 7
  if (/^fortnights?$/.test(u)) return 14
  if (/^(months?|mos?|mths?)$/.test(u)) return 30
  if (/^(quarters?|qtrs?)$/.test(u)) return 91
  return 365
}
export const UNIT_PATTERN = UNIT_RE

const SEASONS: Record<string, [number, number]> = {
  spring: [3, 5],
  summer: [6, 8],
  fall: [9, 11],
  autumn: [9, 11],
  winter: [12, 2],
  holidays: [11, 12],
  'holiday season': [11, 12],
  christmas: [12, 12],
  'back to school': [8, 9],
}

type Rule = {
  re: RegExp
  read(m: RegExpExecArray, today: Day): Omit<DateSlot, 'start' | 'end'> | undefined
}

/** The nth weekday (0 = Sunday) of a month, or the last one when n is -1. */
function nthWeekday(y: number, m: number, weekday: number, n: number): Day {
  if (n < 0) {
    const last = monthEnd(y, m)
    const back = (new Date(`${last}T00:00:00Z`).getUTCDay() - weekday + 7) % 7
    return addDays(last, -back)
  }
  const first = monthStart(y, m)
  const ahead = (weekday - new Date(`${first}T00:00:00Z`).getUTCDay() + 7) % 7
  return addDays(first, ahead + 7 * (n - 1))
}

/** The day of a US holiday or shopping day in a year ("thanksgiving" 2026 is 26 November). */
function holiday(name: string, y: number): Day {
  const n = name.replace(/['’]/g, '')
  if (n === 'thanksgiving') return nthWeekday(y, 11, 4, 4)
  if (n === 'black friday') return addDays(nthWeekday(y, 11, 4, 4), 1)
  if (n === 'cyber monday') return addDays(nthWeekday(y, 11, 4, 4), 4)
  if (/^labou?r day$/.test(n)) return nthWeekday(y, 9, 1, 1)
  if (n === 'memorial day') return nthWeekday(y, 5, 1, -1)
  if (/^(independence day|july 4(th)?|the 4th of july)$/.test(n)) return dayOf(y, 7, 4)
  if (/^new years?( day)?$/.test(n)) return dayOf(y, 1, 1)
  if (n === 'christmas day') return dayOf(y, 12, 25)
  if (n === 'christmas eve') return dayOf(y, 12, 24)
  if (/^valentines( day)?$/.test(n)) return dayOf(y, 2, 14)
  if (n === 'halloween') return dayOf(y, 10, 31)
  if (n === 'mothers day') return nthWeekday(y, 5, 0, 2)
  return nthWeekday(y, 6, 0, 3)
}

/** The most recent past occurrence of a month (this year's if it has begun, else last year's). */
function pastMonth(month: number, today: Day): [number, number] {
  const [y, m] = parts(today)
  return month <= m ? [y, month] : [y - 1, month]
}

function lastQuarter(today: Day): { y: number; q: number } {
  const [y, m] = parts(today)
  const q = quarterOf(m)
  return q === 1 ? { y: y - 1, q: 4 } : { y, q: q - 1 }
}

function weekStart(today: Day): Day {
  const [y, m, d] = parts(today)
  const weekday = (new Date(utc(y, m, d)).getUTCDay() + 6) % 7 // Monday 0
  return addDays(today, -weekday)
}

const RULES: Rule[] = [
  {
    // "december last year", "in march of this year", "since june last year": that month of the
    // year named (read before "last year" alone is).
    re: new RegExp(
      `(?<!(?:-|–|\\bto|\\bthrough|\\bthru|\\buntil|\\band)\\s*)\\b(since|from|after|in|during|for|through|until|till|before)?\\s*${MONTH_RE}\\s+(?:of\\s+)?(last|this|next) year\\b`,
    ),
    read: (m, today) => {
      const month = monthNumber(m[2] as string)
      const y = parts(today)[0] + ({ last: -1, this: 0, next: 1 }[m[3] as string] ?? 0)
      const from = monthStart(y, month)
      const to = monthEnd(y, month)
      if (m[1] === 'since' || m[1] === 'from' || m[1] === 'after')
        return { kind: 'since', from: m[1] === 'after' ? addDays(to, 1) : from }
      if (m[1] === 'before') return { kind: 'before', to: addDays(from, -1) }
      if (m[1] === 'through' || m[1] === 'until' || m[1] === 'till') return { kind: 'before', to }
      return { kind: 'range', from, to: earlier(to, today) }
    },
  },
  {
    // "jan-jun 2027", "march to may", "oct through dec 2026"
    re: new RegExp(
      `\\b(?:from\\s+|between\\s+)?${MONTH_RE}\\s*(?:-|–|to|through|thru|until|and)\\s*${MONTH_RE}(?:\\s+(\\d{4}|next year|this year|last year))?\\b`,
    ),
    read: (m, today) => {
      const a = monthNumber(m[1] as string)
      const b = monthNumber(m[2] as string)
      const [y] = parts(today)
      const named = { 'next year': y + 1, 'this year': y, 'last year': y - 1 }[m[3] ?? '']
      const year = named ?? (m[3] ? Number(m[3]) : pastMonth(b, today)[0])
      const fromYear = a <= b ? year : year - 1
      return {
        kind: 'range',
        from: monthStart(fromYear, a),
        to: monthEnd(year, b),
        ...(m[3] || year !== y ? {} : {}),
      }
    },
  },
  {
    // "2026-01" (a month), not a day
    re: /\b(?:(as of|since|from|in|for|before|through)\s+)?(\d{4})-(\d{2})\b(?!-\d)/,
    read: (m) => {
      const y = Number(m[2])
      const mo = Number(m[3])
      if (mo < 1 || mo > 12) return undefined
      if (m[1] === 'as of')
        return { kind: 'asOf', from: monthStart(y, mo), to: monthStart(y, mo), grain: 'month' }
      if (m[1] === 'since' || m[1] === 'from') return { kind: 'since', from: monthStart(y, mo) }
      if (m[1] === 'before') return { kind: 'before', to: addDays(monthStart(y, mo), -1) }
      return { kind: 'range', from: monthStart(y, mo), to: monthEnd(y, mo) }
    },
  },
  {
    // "in 2025", "for 2025", "during 2024", "2025 so far"
    re: /\b(in|for|during|of|since|from|throughout)\s+(?:(?:the\s+)?(?:calendar|fiscal|financial)\s+(?:year\s+)?|fy\s?)?(20\d\d)\b(?![-/]\d)/,
    read: (m, today) => {
      const y = Number(m[2])
      if (m[1] === 'since' || m[1] === 'from') return { kind: 'since', from: `${y}-01-01` }
      const to = `${y}-12-31`
      // A year ahead is a whole year (a forecast's); a past one stops at today.
      if (`${y}-01-01` > today) return { kind: 'range', from: `${y}-01-01`, to }
      return { kind: 'range', from: `${y}-01-01`, to: earlier(to, today) }
    },
  },
  {
    // "over 3 weeks", "for the past fortnight", "within 10 days" (a look-back, not a horizon)
    re: new RegExp(
      `\\b(?:over|within|in|for)\\s+(?:the\\s+)?${COUNT_RE}\\s*${UNIT_RE}\\b(?!\\s+(?:ahead|out|from now|forward))`,
    ),
    read: (m, today) => {
      const n = countOf(m[1] as string)
      if (n === undefined || n <= 0) return undefined
      const days = Math.round(n * unitDays(m[2] as string))
      return { kind: 'since', from: addDays(today, -(days - 1)), days }
    },
  },
  {
    // "end of last quarter", "at the end of Q3", "as of the end of last month"
    re: /\b(?:(?:as of|at) )?(?:the )?end of (last|this|the last|previous|prior) (quarter|qtr|month|year)\b/,
    read: (m, today) => {
      const unit = m[2] as string
      const [y, mo] = parts(today)
      const current = m[1] === 'this'
      if (unit === 'month') {
        const [yy, mm] = current ? [y, mo] : mo === 1 ? [y - 1, 12] : [y, mo - 1]
        return { kind: 'asOf', to: monthEnd(yy, mm) }
      }
      if (unit === 'year') return { kind: 'asOf', to: `${current ? y : y - 1}-12-31` }
      const lq = current ? { y, q: quarterOf(mo) } : lastQuarter(today)
      return { kind: 'asOf', to: quarterRange(lq.y, lq.q).to }
    },
  },
  {
    // "as of the end of october", "end of june 2026": the last day of that month
    re: new RegExp(`\\b(?:(?:as of|at|by) )?(?:the )?end of ${MONTH_RE}(?:\\s+(\\d{4}))?\\b`),
    read: (m, today) => {
      const month = monthNumber(m[1] as string)
      const [y, mm] = m[2] ? [Number(m[2]), month] : pastMonth(month, today)
      return { kind: 'asOf', to: monthEnd(y, mm) }
    },
  },
  {
    re: /\b(?:(?:as of|at) )?(?:the )?end of q([1-4])(?:\s*(?:of\s+)?'?(\d{2}|\d{4}))?\b/,
    read: (m) => {
      const q = Number(m[1])
      const year = m[2] ? Number(m[2].length === 2 ? `20${m[2]}` : m[2]) : undefined
      return { kind: 'asOf', quarter: { q, ...(year ? { year } : {}) } }
    },
  },
  {
    re: /\b(?:in |during |for |over )?(?:the )?(last|this|past|previous|prior|current) (quarter|qtr)\b/,
    read: (m, today) => {
      const [y, mo] = parts(today)
      if (m[1] === 'this' || m[1] === 'current')
        return { kind: 'range', from: quarterRange(y, quarterOf(mo)).from, to: today }
      // "the past quarter" is the 91 days to today; "last quarter" the calendar one before.
      if (m[1] === 'past') return { kind: 'since', from: addDays(today, -90), days: 91 }
      const lq = lastQuarter(today)
      return { kind: 'range', ...quarterRange(lq.y, lq.q) }
    },
  },
  {
    re: /\b(?:in |during |for )?(?:the )?(?:q([1-4])|(first|second|third|fourth) quarter)(?:\s*(?:of\s+)?'?(\d{4}|\d{2}))?\b/,
    read: (m) => {
      const q = m[1]
        ? Number(m[1])
        : ['first', 'second', 'third', 'fourth'].indexOf(m[2] as string) + 1
      const year = m[3] ? Number(m[3].length === 2 ? `20${m[3]}` : m[3]) : undefined
      return { kind: 'range', quarter: { q, ...(year ? { year } : {}) } }
    },
  },
  {
    re: /\b(?:in |during |for )?(?:the )?(last|this|past|previous|prior|current) (month|week|year)\b|\b(month|year|quarter|week)[- ]to[- ]date\b|\b(mtd|ytd|qtd|wtd)\b|\bso far this (month|year|week|quarter)\b/,
    read: (m, today) => {
      const [y, mo] = parts(today)
      const toDate =
        m[3] ?? m[5] ?? { mtd: 'month', ytd: 'year', qtd: 'quarter', wtd: 'week' }[m[4] ?? '']
      const unit = toDate ?? (m[2] as string)
      const current = toDate !== undefined || m[1] === 'this' || m[1] === 'current'
      // "the past week" is the seven days to today; "last week" is the calendar week before.
      if (m[1] === 'past') {
        const days = unitDays(unit)
        return { kind: 'since', from: addDays(today, -(days - 1)), days }
      }
      if (unit === 'week') {
        const start = weekStart(today)
        return current
          ? { kind: 'range', from: start, to: today }
          : { kind: 'range', from: addDays(start, -7), to: addDays(start, -1) }
      }
      if (unit === 'month') {
        if (current) return { kind: 'range', from: monthStart(y, mo), to: today }
        const [yy, mm] = mo === 1 ? [y - 1, 12] : [y, mo - 1]
        return { kind: 'range', from: monthStart(yy, mm), to: monthEnd(yy, mm) }
      }
      if (unit === 'quarter')
        return { kind: 'range', from: quarterRange(y, quarterOf(mo)).from, to: today }
      return current
        ? { kind: 'range', from: `${y}-01-01`, to: today }
        : { kind: 'range', from: `${y - 1}-01-01`, to: `${y - 1}-12-31` }
    },
  },
  {
    // "last 30 days", "past 2 wks", "in the last week", "over the past 6 months", "last 24 hours"
    re: new RegExp(
      `\\b(?:in |within |over |during |for )?(?:the )?(?:last|past|previous|recent|prior)\\s+${COUNT_RE}?\\s*${UNIT_RE}\\b|\\b(?:last|past) 24 ?(?:hours|hrs|h)\\b`,
    ),
    read: (m, today) => {
      if (!m[2]) return { kind: 'since', from: addDays(today, -1), days: 1 }
      const n = m[1] ? countOf(m[1]) : 1
      if (n === undefined || n <= 0) return undefined
      const days = Math.round(n * unitDays(m[2]))
      return { kind: 'since', from: addDays(today, -(days - 1)), days }
    },
  },
  {
    // "last 48 hours", "past 72 hrs", "last 30d", "past 2w"
    re: /\b(?:in |within |over |during |for )?(?:the )?(?:last|past|previous|prior)\s+(\d+)\s?(hours?|hrs?|h|d|w|y)\b/,
    read: (m, today) => {
      const n = Number(m[1])
      const unit = m[2] as string
      // "last 48h" is two days back: the tools count whole days.
      const days = /^h/.test(unit)
        ? Math.max(1, Math.ceil(n / 24))
        : n * (unit === 'w' ? 7 : unit === 'y' ? 365 : 1)
      return { kind: 'since', from: addDays(today, -(days - 1)), days }
    },
  },
  {
    re: new RegExp(`\\b${COUNT_RE}\\s*${UNIT_RE}\\s+(?:ago|back)\\b`),
    read: (m, today) => {
      const n = countOf(m[1] as string)
      if (n === undefined) return undefined
      const days = Math.round(n * unitDays(m[2] as string))
      return { kind: 'since', from: addDays(today, -days), days: days + 1 }
    },
  },
  {
    re: /\b(today|tonight|this morning)\b/,
    read: (_m, today) => ({ kind: 'range', from: today, to: today, days: 1 }),
  },
  {
    re: /\byesterday\b/,
    read: (_m, today) => ({ kind: 'range', from: addDays(today, -1), to: addDays(today, -1) }),
  },
  {
    // "since thanksgiving", "after black friday", "since labor day": the last one, on its day.
    re: /\b(?:(since|from|after|before|on|over|for)\s+)?(?:the\s+)?(thanksgiving|black friday|cyber monday|labou?r day|memorial day|independence day|july 4(?:th)?|the 4th of july|new year'?s(?: day)?|christmas day|christmas eve|valentine'?s(?: day)?|halloween|mother'?s day|father'?s day)(?:\s+(weekend))?\b(?!\s+week\b)/,
    read: (m, today) => {
      const [y] = parts(today)
      let day = holiday(m[2] as string, y)
      if (day > today) day = holiday(m[2] as string, y - 1)
      const end = m[3] ? addDays(day, 3) : day
      if (m[1] === 'since' || m[1] === 'from') return { kind: 'since', from: day }
      if (m[1] === 'after') return { kind: 'since', from: addDays(end, 1) }
      if (m[1] === 'before') return { kind: 'before', to: addDays(day, -1) }
      return { kind: 'range', from: day, to: earlier(end, today) }
    },
  },
  {
    // "since the 20th", "from the 3rd": that day of this month (last month's if still ahead).
    re: /\b(since|from|after|before|on|as of)\s+the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?[a-z]{3})/,
    read: (m, today) => {
      const [y, mo] = parts(today)
      const d = Number(m[2])
      if (d < 1 || d > 31) return undefined
      let day = dayOf(y, mo, d)
      if (day > today) day = mo === 1 ? dayOf(y - 1, 12, d) : dayOf(y, mo - 1, d)
      if (m[1] === 'since' || m[1] === 'from') return { kind: 'since', from: day }
      if (m[1] === 'after') return { kind: 'since', from: addDays(day, 1) }
      if (m[1] === 'before') return { kind: 'before', to: addDays(day, -1) }
      if (m[1] === 'as of') return { kind: 'asOf', to: day }
      return { kind: 'range', from: day, to: day }
    },
  },
  {
    // A season with a word before it ("since summer", "last winter", "in the fall"): "fall" on
    // its own is a verb ("why did redemptions fall").
    re: /\b(?:(since|from|after)|(this|last|in|during|over|for|the|past)) (?:the )?(?:(this|last|past) )?(spring|summer|fall|autumn|winter|holiday season|holidays|christmas|back to school)\b/,
    read: (m, today) => {
      const [first, last] = SEASONS[m[4] as string] as [number, number]
      const [y, mo] = parts(today)
      const crosses = first > last
      const inside = crosses ? mo >= first || mo <= last : mo >= first && mo <= last
      // The season that began most recently; "last" is the one before it when we are inside it.
      let year = crosses ? (mo >= first ? y : y - 1) : first <= mo ? y : y - 1
      if ((m[2] === 'last' || m[2] === 'past' || m[3] === 'last' || m[3] === 'past') && inside)
        year--
      const from = monthStart(year, first)
      if (m[1]) return { kind: 'since', from }
      const to = monthEnd(crosses ? year + 1 : year, last)
      return { kind: 'range', from, to: earlier(to, today) }
    },
  },
  {
    // "in october", "for march 2026", "since march", "during nov"
    re: new RegExp(
      `\\b(since|from|after|in|during|for|of|through|until|till|before)?\\s*${MONTH_RE}(?:\\s+(\\d{4}))?\\b(?!\\s*\\d{1,2}(?:st|nd|rd|th)?\\b)`,
    ),
    read: (m, today) => {
      const month = monthNumber(m[2] as string)
      const [y, mm] = m[3] ? [Number(m[3]), month] : pastMonth(month, today)
      const from = monthStart(y, mm)
      const to = monthEnd(y, mm)
      if (m[1] === 'since' || m[1] === 'from' || m[1] === 'after')
        return { kind: 'since', from: m[1] === 'after' ? addDays(to, 1) : from }
      if (m[1] === 'before') return { kind: 'before', to: addDays(from, -1) }
      if (m[1] === 'through' || m[1] === 'until' || m[1] === 'till') return { kind: 'before', to }
      // "may" is also a verb: only read it as a month with a preposition or a year.
      if (month === 5 && !m[1] && !m[3]) return undefined
      return { kind: 'range', from, to: earlier(to, today) }
    },
  },
]

/** Every date expression in the (lower-cased) text, earliest first, none overlapping. */
export function readDates(text: string, calendar: Calendar): DateSlot[] {
  const t = text.toLowerCase()
  const today = localDay(calendar.now, calendar.timezone)
  const found: DateSlot[] = []
  const taken = (s: number, e: number) => found.some((f) => s < f.end && e > f.start)
  for (const rule of RULES) {
    const re = new RegExp(rule.re.source, 'g')
    for (let m = re.exec(t); m; m = re.exec(t)) {
      const start = m.index + (m[0].length - m[0].trimStart().length)
      const end = m.index + m[0].trimEnd().length
      if (start === end || taken(start, end)) continue
      const value = rule.read(m, today)
      if (value) found.push({ ...value, start, end })
    }
  }
  for (const slot of chronoDates(t, calendar, today))
    if (!taken(slot.start, slot.end)) found.push(slot)
  return found.sort((a, b) => a.start - b.start)
}

/**
 * The chain's wall clock now, as a Date whose local fields (in this process's timezone) read
 * the same: chrono works in local time, so dates come out on the chain's calendar whatever the
 * server's timezone is.
 */
function wallClockDate(calendar: Calendar): Date {
  const [y, m, d, hh, mm] = wallClock(calendar.now.getTime(), calendar.timezone)
    .split(/[-T:]/)
    .map(Number) as [number, number, number, number, number]
  return new Date(y, m - 1, d, hh, mm)
}

/** A calendar day from its parts, the day clamped to the month ("feb 29" in 2027 is the 28th). */
function dayOf(y: number, m: number, d: number): Day {
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return fromUtc(utc(y, m, Math.min(d, last)))
}

function chronoDates(t: string, calendar: Calendar, today: Day): DateSlot[] {
  const results = chrono.parse(t, wallClockDate(calendar))
  const out: DateSlot[] = []
  for (const r of results) {
    if (/^(right )?now$|^currently$/.test(r.text.trim())) continue
    // Chrono reads "5" in "top 5" or "4821" as nothing, but "8/15" or "3.5" can be amounts: keep
    // only results that name a month, a weekday, a year, or an ordinal day ("the 15th").
    const known = (unit: chrono.Component) => r.start.isCertain(unit)
    const ordinal = known('day') && /\d(st|nd|rd|th)\b/.test(r.text)
    if (!known('month') && !known('weekday') && !known('year') && !ordinal) continue
    // "sat untouched", "wed to": a short weekday only with a word of time before it.
    if (
      /^(sat|sun|mon|tue|tues|wed|thu|thur|thurs|fri)$/.test(r.text.trim()) &&
      !/\b(since|from|after|on|before|until|last|this|by)\s+$/.test(t.slice(0, r.index))
    )
      continue
    const day = (c: chrono.ParsedComponents) => {
      const y = c.get('year') as number
      const m = c.get('month') as number
      let d = dayOf(y, m, c.get('day') as number)
      // A date without a year that would lie ahead means the last one (ledgers look back): last
      // week's Friday, last month's 15th, last year's November.
      if (!c.isCertain('year') && d > today) {
        if (c.isCertain('weekday') && !c.isCertain('day')) d = addDays(d, -7)
        else if (!c.isCertain('month'))
          d =
            m === 1
              ? dayOf(y - 1, 12, c.get('day') as number)
              : dayOf(y, m - 1, c.get('day') as number)
        else d = dayOf(y - 1, m, c.get('day') as number)
      }
      return d
    }
    const before = t.slice(0, r.index)
    const lead =
      /\b(since|from|after|as of|as at|at|on|by|before|until|till|through|thru|starting|beginning)\s+(?:the\s+)?$/.exec(
        before,
      )
    const start = lead ? r.index - lead[0].length : r.index
    const end = r.index + r.text.length
    const from = day(r.start)
    if (r.end) {
      out.push({ kind: 'range', from, to: day(r.end), start, end })
      continue
    }
    const word = lead?.[1]
    if (word === 'since' || word === 'from' || word === 'starting' || word === 'beginning')
      out.push({ kind: 'since', from, start, end })
    else if (word === 'after') out.push({ kind: 'since', from: addDays(from, 1), start, end })
    else if (word === 'before') out.push({ kind: 'before', to: addDays(from, -1), start, end })
    else if (word === 'until' || word === 'till' || word === 'through' || word === 'thru')
      out.push({ kind: 'before', to: from, start, end })
    else if (word === 'as of' || word === 'as at' || word === 'by')
      out.push({ kind: 'asOf', to: from, start, end })
    else out.push({ kind: 'range', from, to: from, start, end })
  }
  return out
}

/** A date range joined by "between … and …" / "from … to …" into one. */
export function joinRanges(slots: DateSlot[], text: string): DateSlot[] {
  const out: DateSlot[] = []
  for (const s of slots) {
    const prev = out.at(-1)
    if (prev?.from && (s.from || s.to)) {
      const gap = text.slice(prev.end, s.start).toLowerCase()
      if (/^\s*(and|to|through|thru|until|till|-|–)\s*$/.test(gap)) {
        const to = s.kind === 'before' ? s.to : (s.to ?? s.from)
        out[out.length - 1] = {
          kind: 'range',
          from: prev.from,
          ...(to ? { to } : {}),
          start: prev.start,
          end: s.end,
        }
        continue
      }
    }
    out.push(s)
  }
  return out
}

/** The look-back in days a slot covers up to today (for tools that take `days`). */
export function windowDays(slot: DateSlot, calendar: Calendar): number | undefined {
  if (slot.days) return slot.days
  if (!slot.from) return undefined
  return Math.max(1, daysBetween(slot.from, localDay(calendar.now, calendar.timezone)) + 1)
}

/** A quarter on the calendar: the next one ahead for a forecast, the last one for history. */
export function resolveQuarter(
  quarter: { q: number; year?: number },
  calendar: Calendar,
  ahead: boolean,
): { from: Day; to: Day } {
  const today = localDay(calendar.now, calendar.timezone)
  const [y, m] = parts(today)
  if (quarter.year) return quarterRange(quarter.year, quarter.q)
  const current = quarterOf(m)
  if (ahead) return quarterRange(quarter.q > current ? y : y + 1, quarter.q)
  return quarterRange(quarter.q <= current ? y : y - 1, quarter.q)
}
