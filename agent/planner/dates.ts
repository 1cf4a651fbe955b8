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
  /** The holiday the words named, so a range can move it to another year ("… last year"). */
  holiday?: string
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
  'christmas season': [12, 12],
  'back to school': [8, 9],
}

/** The holidays and shopping days `holiday()` knows, as people write them. */
const HOLIDAY_RE =
  "(thanksgiving|black friday|cyber monday|small business saturday|giving tuesday|labou?r day|memorial day|independence day|july 4(?:th)?|the 4th of july|new year'?s eve|new year'?s(?: day)?|(?:christmas|xmas|x-mas) eve|(?:christmas|xmas|x-mas)(?: day)?(?! season)|boxing day|valentine'?s(?: day)?|halloween|mother'?s day|father'?s day|(?:president|washington)'?s day|(?:mlk|martin luther king)(?: jr\\.?)? day|columbus day|indigenous peoples'? day|veterans'? day|juneteenth)"

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
  if (/^(christmas|xmas|x-mas)( day)?$/.test(n)) return dayOf(y, 12, 25)
  if (/^(christmas|xmas|x-mas) eve$/.test(n)) return dayOf(y, 12, 24)
  if (n === 'boxing day') return dayOf(y, 12, 26)
  if (/^new years? eve$/.test(n)) return dayOf(y, 12, 31)
  if (/^(presidents|washingtons) day$/.test(n)) return nthWeekday(y, 2, 1, 3)
  if (/^(mlk|martin luther king)( jr\.?)? day$/.test(n)) return nthWeekday(y, 1, 1, 3)
  if (/^(columbus day|indigenous peoples? day)$/.test(n)) return nthWeekday(y, 10, 1, 2)
  if (/^veterans? day$/.test(n)) return dayOf(y, 11, 11)
  if (n === 'juneteenth') return dayOf(y, 6, 19)
  if (n === 'small business saturday') return addDays(nthWeekday(y, 11, 4, 4), 2)
  if (n === 'giving tuesday') return addDays(nthWeekday(y, 11, 4, 4), 5)
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

/** "the year", "this year", "last year", "2025", "fy25": a year a larger period names. */
const YEAR_WORDS =
  "(?:this |last |next |current |previous |prior |the )?(?:calendar |fiscal )?year|fy\\s?'?\\d{2,4}|20\\d\\d|'\\d{2}"

/**
 * The period grammar (docs/planner.md §Dates): every way of naming a span by its place in a
 * larger one — halves, fiscal years, the start or end of a year, month or quarter, "the year so
 * far", "the first three quarters of 2026", "the last two weeks of november", a weekend — read
 * before the simpler rules below, so "first half of the year" is never half-read as "the year".
 */
const PERIOD_RULES: Rule[] = [
  {
    // "since thanksgiving", "as of last xmas", "christmas last year", "memorial day 2025",
    // "black friday weekend": a holiday on its day (the last one unless a year is named), its
    // weekend running to the Sunday after it (from the Saturday before a Monday holiday).
    re: new RegExp(
      `\\b(?:(since|from|after|before|on|over|for|as of|at|by|until|through|thru)\\s+)?(?:the\\s+)?(?:(last|this|next|previous|past)\\s+)?${HOLIDAY_RE}(?:\\s+(weekend))?(?:\\s+(?:of\\s+)?(last year|this year|next year|20\\d\\d))?\\b(?!\\s+week\\b)`,
    ),
    read: (m, today) => {
      const name = m[3] as string
      const [y] = parts(today)
      const named = m[5]
      let day: Day
      if (named) {
        const shift: Record<string, number> = { 'last year': -1, 'this year': 0, 'next year': 1 }
        day = holiday(name, /^\d/.test(named) ? Number(named) : y + (shift[named] ?? 0))
      } else if (m[2] === 'next') {
        day = holiday(name, y)
        if (day <= today) day = holiday(name, y + 1)
      } else if (m[2] === 'this') day = holiday(name, y)
      else {
        day = holiday(name, y)
        if (day > today) day = holiday(name, y - 1)
      }
      const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
      const span = !m[4]
        ? { from: day, to: day }
        : weekday === 1
          ? { from: addDays(day, -2), to: day }
          : { from: day, to: addDays(day, (7 - weekday) % 7) }
      const lead = m[1]
      const holidayName = name
      if (lead === 'since' || lead === 'from')
        return { kind: 'since', from: span.from, holiday: holidayName }
      if (lead === 'after') return { kind: 'since', from: addDays(span.to, 1) }
      if (lead === 'before') return { kind: 'before', to: addDays(span.from, -1) }
      if (lead === 'until' || lead === 'through' || lead === 'thru')
        return { kind: 'before', to: span.to, holiday: holidayName }
      if (lead === 'as of' || lead === 'at' || lead === 'by') return { kind: 'asOf', to: span.to }
      return { kind: 'range', from: span.from, to: earlier(span.to, today), holiday: holidayName }
    },
  },
  {
    // "first half of the year", "H1 2026", "the back half of last year", "2h fy25"
    re: new RegExp(
      `\\b(?:in |during |for |over |through )?(?:the )?(?:(first|1st|front|second|2nd|back|latter|last) half of (?:the )?(${YEAR_WORDS})|(h1|h2|1h|2h)(?:\\s*(?:of\\s+)?(${YEAR_WORDS}))?)`,
    ),
    read: (m, today) => {
      const word = (m[1] ?? m[3]) as string
      const first = /^(first|1st|front|h1|1h)$/.test(word)
      const y = yearOf(m[2] ?? m[4], today)
      return span(first ? `${y}-01-01` : `${y}-07-01`, first ? `${y}-06-30` : `${y}-12-31`, today)
    },
  },
  {
    // "the first three quarters of 2026", "the last two weeks of november", "first 10 days of
    // this month", "the final quarter of last year"
    re: new RegExp(
      `\\b(?:the\\s+)?(first|last|final|opening|closing)\\s+(?:${COUNT_RE}\\s+)?(days?|weeks?|months?|quarters?)\\s+of\\s+(?:the\\s+)?(?:(${YEAR_WORDS})|(?:(this|last|next|previous)\\s+)?(month|quarter)|${MONTH_RE}(?:\\s+(\\d{4}))?)\\b`,
    ),
    read: (m, today) => {
      const n = m[2] ? countOf(m[2]) : 1
      if (n === undefined || n < 1) return undefined
      const outer = outerPeriod(m, today)
      if (!outer) return undefined
      const unit = m[3] as string
      const fromStart = /^(first|opening)$/.test(m[1] as string)
      let from: Day
      let to: Day
      if (/^quarter/.test(unit) || /^month/.test(unit)) {
        const months = /^quarter/.test(unit) ? n * 3 : n
        const [oy, om] = parts(outer.from)
        const [ey, em] = parts(outer.to)
        if (fromStart) {
          from = outer.from
          to = monthEnd(oy, om + months - 1)
        } else {
          from = monthStart(ey, em - months + 1)
          to = outer.to
        }
      } else {
        const days = n * unitDays(unit)
        from = fromStart ? outer.from : addDays(outer.to, -(days - 1))
        to = fromStart ? addDays(outer.from, days - 1) : outer.to
      }
      return span(from, to, today)
    },
  },
  {
    // "the first three quarters", "first 6 months": of this year, when no year follows.
    re: new RegExp(
      `\\b(?:the\\s+)?(first|opening)\\s+${COUNT_RE}\\s+(months|quarters)\\b(?!\\s+of\\b)`,
    ),
    read: (m, today) => {
      const n = countOf(m[2] as string)
      if (n === undefined || n < 1) return undefined
      const months = Math.min(12, m[3] === 'quarters' ? n * 3 : n)
      const [y] = parts(today)
      return span(`${y}-01-01`, monthEnd(y, months), today)
    },
  },
  {
    // "FY2025", "fy 25", "fiscal 2024", "fiscal year 2026": the chain's fiscal year is the
    // calendar year (the ledger closes its books by calendar month).
    re: /\b(?:(since|from|in|for|during|of|throughout)\s+)?(?:the\s+)?(?:fy\s?'?|fiscal\s+(?:year\s+)?)(\d{4}|\d{2})\b/,
    read: (m, today) => {
      const y = Number((m[2] as string).length === 2 ? `20${m[2]}` : m[2])
      if (m[1] === 'since' || m[1] === 'from') return { kind: 'since', from: `${y}-01-01` }
      return span(`${y}-01-01`, `${y}-12-31`, today)
    },
  },
  {
    // "as of the start of the year", "since the beginning of last month", "at the start of
    // Q3", "start of 2026", "beginning of november": the first day of that period.
    re: new RegExp(
      `\\b(?:(as of|as at|at|by|since|from|after)\\s+)?(?:the\\s+)?(?:very\\s+)?(?:start|beginning|begin|first day|opening)\\s+of\\s+(?:the\\s+)?(?:(${YEAR_WORDS})|(?:(this|last|next|previous|current)\\s+)?(month|quarter|week)|q([1-4])(?:\\s+(\\d{4}))?|${MONTH_RE}(?:\\s+(\\d{4}))?)\\b`,
    ),
    read: (m, today) => {
      const first = startOf(m, today)
      if (!first) return undefined
      const lead = m[1]
      if (lead === 'since' || lead === 'from') return { kind: 'since', from: first }
      if (lead === 'after') return { kind: 'since', from: addDays(first, 1) }
      return { kind: 'asOf', from: first, to: first }
    },
  },
  {
    // "at year end 2025", "year-end 2025", "end of 2025", "2025 year end", "eoy", "at the end
    // of the year": the last day of that year (of last year when none is named).
    re: /\b(?:(as of|as at|at|by)\s+)?(?:the\s+)?(?:(?:year[- ]?end|ye|eoy|end of (?:the )?(?:calendar |fiscal )?year)(?:\s+(?:of\s+)?(20\d\d))?|end of (20\d\d)|(20\d\d)\s+year[- ]?end)\b/,
    read: (m, today) => {
      const named = m[2] ?? m[3] ?? m[4]
      const y = named ? Number(named) : parts(today)[0] - 1
      return { kind: 'asOf', to: `${y}-12-31` }
    },
  },
  {
    // "the year so far", "this quarter so far", "so far in 2026", "the month to date"
    re: /\b(?:for |in |over )?(?:the |this )(year|month|quarter|week) (?:so far|to date)\b|\bso far in (20\d\d)\b/,
    read: (m, today) => {
      const [y, mo] = parts(today)
      if (m[2]) return span(`${m[2]}-01-01`, `${m[2]}-12-31`, today)
      const unit = m[1] as string
      const from =
        unit === 'year'
          ? `${y}-01-01`
          : unit === 'month'
            ? monthStart(y, mo)
            : unit === 'quarter'
              ? quarterRange(y, quarterOf(mo)).from
              : weekStart(today)
      return { kind: 'range', from, to: today }
    },
  },
  {
    // "1 Jan this year", "the 5th of march last year", "march 3rd last year": one day of the
    // year named (read before "march last year", the whole month).
    re: new RegExp(
      `\\b(?:(since|from|after|before|as of|as at|on|at|by|until|till|through)\\s+)?(?:the\\s+)?(?:(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_RE}|${MONTH_RE}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?)\\s+(?:of\\s+)?(last|this|next) year\\b`,
    ),
    read: (m, today) => {
      const month = monthNumber((m[3] ?? m[4]) as string)
      const d = Number(m[2] ?? m[5])
      if (d < 1 || d > 31) return undefined
      const y = parts(today)[0] + ({ last: -1, this: 0, next: 1 }[m[6] as string] ?? 0)
      const day = dayOf(y, month, d)
      return oneDay(m[1], day)
    },
  },
  {
    // "last weekend", "over the weekend", "this weekend": the most recent Saturday and Sunday
    // ("weekends", plural, is a time of week no tool filters on).
    re: /\b(?:(?:over|during|on|for|at|in)\s+)?(this|last|past|previous|the)\s+weekend\b/,
    read: (m, today) => {
      const weekday = new Date(`${today}T00:00:00Z`).getUTCDay()
      // The Saturday of the weekend under way or just past.
      let saturday = addDays(today, -((weekday + 1) % 7))
      if ((m[1] === 'last' || m[1] === 'previous') && (weekday === 6 || weekday === 0))
        saturday = addDays(saturday, -7)
      return { kind: 'range', from: saturday, to: earlier(addDays(saturday, 1), today) }
    },
  },
]

/** The year of "the year", "last year", "2025", "fy25", "'25". */
function yearOf(words: string | undefined, today: Day): number {
  const [y] = parts(today)
  if (!words) return y
  const digits = /(\d{2,4})\s*$/.exec(words)
  if (digits) return Number((digits[1] as string).length === 2 ? `20${digits[1]}` : digits[1])
  if (/\b(last|previous|prior)\b/.test(words)) return y - 1
  if (/\bnext\b/.test(words)) return y + 1
  return y
}

/** A closed span, stopping at today when it is under way (a span ahead stays whole). */
function span(from: Day, to: Day, today: Day): Omit<DateSlot, 'start' | 'end'> {
  return { kind: 'range', from, to: from > today ? to : earlier(to, today) }
}

/** The larger period a "first / last N … of" names (groups 4–8 of its rule). */
function outerPeriod(m: RegExpExecArray, today: Day): { from: Day; to: Day } | undefined {
  const [y, mo] = parts(today)
  if (m[4]) {
    const year = yearOf(m[4], today)
    return { from: `${year}-01-01`, to: `${year}-12-31` }
  }
  if (m[6] === 'month') {
    const [yy, mm] =
      m[5] === 'last' || m[5] === 'previous'
        ? mo === 1
          ? [y - 1, 12]
          : [y, mo - 1]
        : m[5] === 'next'
          ? mo === 12
            ? [y + 1, 1]
            : [y, mo + 1]
          : [y, mo]
    return { from: monthStart(yy, mm), to: monthEnd(yy, mm) }
  }
  if (m[6] === 'quarter') {
    const q = m[5] === 'last' || m[5] === 'previous' ? lastQuarter(today) : { y, q: quarterOf(mo) }
    return quarterRange(q.y, q.q)
  }
  if (m[7]) {
    const month = monthNumber(m[7])
    const [yy, mm] = m[8] ? [Number(m[8]), month] : pastMonth(month, today)
    return { from: monthStart(yy, mm), to: monthEnd(yy, mm) }
  }
  return undefined
}

/** The first day of the period a "start of …" names (groups 2–9 of its rule). */
function startOf(m: RegExpExecArray, today: Day): Day | undefined {
  const [y, mo] = parts(today)
  if (m[2]) return `${yearOf(m[2], today)}-01-01`
  const which = m[3]
  if (m[4] === 'month') {
    if (which === 'last' || which === 'previous')
      return mo === 1 ? `${y - 1}-12-01` : monthStart(y, mo - 1)
    if (which === 'next') return mo === 12 ? `${y + 1}-01-01` : monthStart(y, mo + 1)
    return monthStart(y, mo)
  }
  if (m[4] === 'quarter') {
    if (which === 'last' || which === 'previous') {
      const q = lastQuarter(today)
      return quarterRange(q.y, q.q).from
    }
    return quarterRange(y, quarterOf(mo)).from
  }
  if (m[4] === 'week')
    return which === 'last' || which === 'previous'
      ? addDays(weekStart(today), -7)
      : weekStart(today)
  if (m[5]) {
    const q = Number(m[5])
    const year = m[6] ? Number(m[6]) : q <= quarterOf(mo) ? y : y - 1
    return quarterRange(year, q).from
  }
  if (m[7]) {
    const month = monthNumber(m[7])
    const [yy, mm] = m[8] ? [Number(m[8]), month] : pastMonth(month, today)
    return monthStart(yy, mm)
  }
  return undefined
}

/** One day with the word before it: "since" opens a window, "as of" is the end of that day. */
function oneDay(lead: string | undefined, day: Day): Omit<DateSlot, 'start' | 'end'> {
  if (lead === 'since' || lead === 'from') return { kind: 'since', from: day }
  if (lead === 'after') return { kind: 'since', from: addDays(day, 1) }
  if (lead === 'before') return { kind: 'before', to: addDays(day, -1) }
  if (lead === 'until' || lead === 'till' || lead === 'through') return { kind: 'before', to: day }
  if (lead === 'as of' || lead === 'as at' || lead === 'at' || lead === 'by')
    return { kind: 'asOf', from: day, to: day }
  return { kind: 'range', from: day, to: day }
}

const RULES: Rule[] = [
  ...PERIOD_RULES,
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
      // A quarter with its year is also its days, so it joins and nests like any range.
      if (year) return { kind: 'range', quarter: { q, year }, ...quarterRange(year, q) }
      return { kind: 'range', quarter: { q } }
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
    re: /\b(?:(since|from|after)|(this|last|in|during|over|for|the|past)) (?:the )?(?:(this|last|past) )?(spring|summer|fall|autumn|winter|holiday season|holidays|christmas season|back to school)\b/,
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
  for (const slot of bareYears(t, today)) if (!taken(slot.start, slot.end)) found.push(slot)
  return found.sort((a, b) => a.start - b.start)
}

/** Words of a report over time, without which a bare "2025" may be a card's last four digits. */
const REPORT_WORDS =
  /\b(sold|sales?|sell|loaded|loads?|reloads?|redemptions?|redeemed|refunds?|liabilit\w*|breakage|fraud|alerts?|approvals?|holds?|by|per|monthly|quarterly|weekly|daily|vs\.?|versus|compared?|against|forecast\w*|escheat\w*|owe|outstanding|revenue|totals?|trend|csv|campaigns?|activations?|metrics?)\b/
/** A year alone is not a date right after words that name a card by its digits. */
const CARD_BEFORE =
  /\b(cards?|ending|ends?|gc|number|no\.?|#|digits|last ?4|last four|hold|freeze|release|unfreeze|lock|unlock|block|check|lookup|look up|pull up|balance on)\s*(?:in|with|on)?\s*$/

/**
 * "redemptions by occasion 2025", "fraud loss per store, 2025", "2025 vs 2026": a year said
 * alone in a report is that calendar year (to today when it is under way).
 */
function bareYears(t: string, today: Day): DateSlot[] {
  if (!REPORT_WORDS.test(t)) return []
  const [y] = parts(today)
  const out: DateSlot[] = []
  for (const m of t.matchAll(
    /(?<![\w$#*./-])(20\d\d)(?![\w/.-]|\s*(?:dollars|bucks|cards?|alerts?|%))/g,
  )) {
    const year = Number(m[1])
    if (year < 2000 || year > y + 5 || CARD_BEFORE.test(t.slice(0, m.index))) continue
    out.push({
      ...span(`${year}-01-01`, `${year}-12-31`, today),
      start: m.index,
      end: m.index + 4,
    } as DateSlot)
  }
  return out
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
    // "for 2026, the first three quarters only": a period inside the one just named narrows it.
    // "loads in 2025, just q2": a quarter without its year takes the year just named.
    const sq =
      s.quarter && prev?.from && !s.from
        ? quarterRange(s.quarter.year ?? Number(prev.from.slice(0, 4)), s.quarter.q)
        : undefined
    const sFrom = s.from ?? sq?.from
    const sTo = s.to ?? sq?.to
    if (
      prev?.kind === 'range' &&
      s.kind === 'range' &&
      prev.from &&
      prev.to &&
      sFrom &&
      sTo &&
      /^\s*[,:-]?\s*(?:(?:just|only|but|the|in|of)\s+)*$/i.test(text.slice(prev.end, s.start))
    ) {
      const narrow: DateSlot = { kind: 'range', from: sFrom, to: sTo, start: s.start, end: s.end }
      const inner =
        sFrom >= prev.from && sTo <= prev.to
          ? narrow
          : prev.from >= sFrom && prev.to <= sTo
            ? prev
            : undefined
      if (inner) {
        out[out.length - 1] = { ...inner, start: prev.start, end: s.end }
        continue
      }
    }
    if (prev?.from && (s.from || s.to)) {
      const gap = text.slice(prev.end, s.start).toLowerCase()
      // "dec 2024 through nov 2026": the second date carries its own "through".
      const carried =
        s.kind === 'before' &&
        /^\s*$/.test(gap) &&
        /^(through|thru|until|till|to)\b/.test(text.slice(s.start, s.end).toLowerCase())
      if (carried || /^\s*(and|to|through|thru|until|till|-|–)\s*$/.test(gap)) {
        const to = s.kind === 'before' ? s.to : (s.to ?? s.from)
        let from = prev.from
        // "between thanksgiving and xmas last year": the year named at the end is both ends'.
        if (to && from > to) {
          const year = Number(to.slice(0, 4))
          from = prev.holiday ? holiday(prev.holiday, year) : `${year}${from.slice(4)}`
          if (from > to)
            from = prev.holiday ? holiday(prev.holiday, year - 1) : `${year - 1}${from.slice(4)}`
        }
        out[out.length - 1] = {
          kind: 'range',
          from,
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
