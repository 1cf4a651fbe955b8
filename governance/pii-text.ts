/**
 * Emails and phone numbers in free text, found in linear time (docs/privacy.md).
 *
 * A pattern such as `/[\w.%+-]+@[\w.-]+\.[a-z]{2,}/g` backtracks: on a run of n letters without
 * an `@` it starts at every letter and reads to the end of the run from each, n²/2 steps (a
 * 200,000-letter card argument froze the server for 18 s). These scanners read every character
 * a bounded number of times instead:
 * - an email is found from its `@`: the local part is read leftwards and the domain rightwards,
 *   neither past the neighbouring `@`, so every stretch between two `@` is read twice at most;
 * - a phone number is read as a run of digit groups (`716-555-0179`, `(716) 555 0179`,
 *   `+44 20 7946 0958`), each run once, and judged by the shape of its groups as they arrive,
 *   keeping only the last few in memory.
 */

export type PiiKind = 'email' | 'phone'

/** A piece of personal data in a text: where it is, and the value its token is made from. */
export type PiiSpan = { kind: PiiKind; start: number; end: number; value: string }

/** Counts the characters a scan reads, so tests can show the work grows linearly. */
export type ScanMeter = { reads: number }

/** Every email and phone number in `text`, in order, never overlapping. */
export function findPii(text: string, meter: ScanMeter = { reads: 0 }): PiiSpan[] {
  const spans: PiiSpan[] = []
  let gapStart = 0
  for (const email of findEmails(text, meter)) {
    spans.push(...findPhones(text, gapStart, email.start, meter), email)
    gapStart = email.end
  }
  spans.push(...findPhones(text, gapStart, text.length, meter))
  return spans
}

/**
 * The canonical form of a value that is one phone number and nothing else (`+17165550179` for
 * `(716) 555-0179`), so a phone field and the same number in free text get the same token.
 */
export function canonicalPhone(value: string): string | undefined {
  const trimmed = value.trim()
  const spans = findPhones(trimmed, 0, trimmed.length, { reads: 0 })
  const only = spans[0]
  return spans.length === 1 && only && only.start === 0 && only.end === trimmed.length
    ? only.value
    : undefined
}

// ── Characters ──────────────────────────────────────────────────────────────────────────

const AT = 0x40
const FULLWIDTH_AT = 0xff20
const DOT = 0x2e
const PLUS = 0x2b
const OPEN_PAREN = 0x28
const CLOSE_PAREN = 0x29
const COMMA = 0x2c
const COLON = 0x3a
const EQUALS = 0x3d
const SLASH = 0x2f
const UNDERSCORE = 0x5f
const HYPHEN = 0x2d
const APOSTROPHE = 0x27
const RIGHT_QUOTE = 0x2019

const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isAsciiLetter = (c: number) => (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a

/** Per BMP code unit: 0 not yet known, 1 a letter or mark, 2 a digit of another script, 3 neither. */
const unicodeClass = new Uint8Array(0x10000)
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u
const OTHER_DIGIT = /^\p{N}$/u

function classOf(c: number): number {
  let known = unicodeClass[c] as number
  if (known === 0) {
    const ch = String.fromCharCode(c)
    known = LETTER_OR_MARK.test(ch) ? 1 : OTHER_DIGIT.test(ch) ? 2 : 3
    unicodeClass[c] = known
  }
  return known
}

/** Letters and marks of any script (`é`, `ü`, `ñ`); surrogate halves count as neither. */
function isLetter(c: number): boolean {
  if (c < 0x80) return isAsciiLetter(c)
  return c < 0xd800 || c > 0xdfff ? classOf(c) === 1 : false
}

/** What a word is made of: a digit glued to one is part of an identifier, not a phone. */
function isWordChar(c: number): boolean {
  if (c < 0x80) return isDigit(c) || isAsciiLetter(c) || c === UNDERSCORE
  return c < 0xd800 || c > 0xdfff ? classOf(c) !== 3 : false
}

/** Spaces a phone number's groups are written apart with (no-break and thin spaces too). */
function isGroupSpace(c: number): boolean {
  return c === 0x20 || c === 0xa0 || (c >= 0x2002 && c <= 0x200a) || c === 0x202f || c === 0x3000
}

/** `-` and the Unicode hyphens and dashes: ‐ ‑ ‒ – — − ﹣ －. */
function isHyphen(c: number): boolean {
  return (
    c === HYPHEN || (c >= 0x2010 && c <= 0x2014) || c === 0x2212 || c === 0xfe63 || c === 0xff0d
  )
}

function isGroupSeparator(c: number): boolean {
  return isGroupSpace(c) || isHyphen(c) || c === DOT
}

function isWhitespace(c: number): boolean {
  return c === 0x09 || c === 0x0a || c === 0x0d || isGroupSpace(c)
}

// ── Emails ──────────────────────────────────────────────────────────────────────────────

function isLocalChar(c: number): boolean {
  return (
    isWordChar(c) ||
    c === DOT ||
    c === 0x25 ||
    c === PLUS ||
    c === HYPHEN ||
    c === APOSTROPHE ||
    c === RIGHT_QUOTE
  )
}

/** A local part does not start with a dot or a quote (`'ann@x.org'` is ann@x.org). */
const isLocalHead = (c: number) => c === DOT || c === APOSTROPHE || c === RIGHT_QUOTE

function isDomainChar(c: number): boolean {
  return isWordChar(c) && c !== UNDERSCORE ? true : c === HYPHEN || c === DOT
}

function findEmails(text: string, meter: ScanMeter): PiiSpan[] {
  const spans: PiiSpan[] = []
  let floor = 0
  for (let at = 0; at < text.length; at++) {
    meter.reads++
    const c = text.charCodeAt(at)
    if (c !== AT && c !== FULLWIDTH_AT) continue
    // Neither scan passes another `@` (not a local or domain character) nor the last email.
    let start = at
    while (start > floor && isLocalChar(text.charCodeAt(start - 1))) {
      start--
      meter.reads++
    }
    let end = at + 1
    while (end < text.length && isDomainChar(text.charCodeAt(end))) {
      end++
      meter.reads++
    }
    while (start < at && isLocalHead(text.charCodeAt(start))) {
      start++
      meter.reads++
    }
    const domainEnd = start < at ? validDomainEnd(text, at + 1, end, meter) : undefined
    if (domainEnd === undefined) continue
    const value = `${text.slice(start, at)}@${text.slice(at + 1, domainEnd)}`
    spans.push({ kind: 'email', start, end: domainEnd, value })
    floor = domainEnd
    at = domainEnd - 1
  }
  return spans
}

/**
 * Where the longest domain in `text[from, to)` ends: dot-separated labels, at least two, the
 * last (the top-level domain) at least two letters of any script. `undefined` if there is none.
 */
function validDomainEnd(
  text: string,
  from: number,
  to: number,
  meter: ScanMeter,
): number | undefined {
  let end = to
  while (end > from && isDomainTail(text.charCodeAt(end - 1))) {
    end--
    meter.reads++
  }
  let found: number | undefined
  let labelStart = from
  let labels = 0
  let lettersOnly = true
  for (let i = from; i <= end; i++) {
    meter.reads++
    const c = i < end ? text.charCodeAt(i) : DOT
    if (c !== DOT) {
      if (!isLetter(c)) lettersOnly = false
      continue
    }
    if (i === labelStart) break // an empty label (`..`, or a dot first) ends the domain
    labels++
    if (labels >= 2 && lettersOnly && i - labelStart >= 2) found = i
    labelStart = i + 1
    lettersOnly = true
  }
  return found
}

/** A sentence's full stop or a dash after an address is not part of it. */
const isDomainTail = (c: number) => c === DOT || c === HYPHEN

// ── Phone numbers ───────────────────────────────────────────────────────────────────────

/** What precedes a run of digits: free (`call 716…`), a label (`tel:`), or a word it belongs to. */
type Context = 'free' | 'label' | 'glued'

/** Characters after which a number stands on its own. */
const OPENERS = new Set([...'([{"\'<>;!?*|'].map((ch) => ch.charCodeAt(0)))
/** Words that make `word:7165550179` a phone number rather than an identifier like `shopify:…`. */
const PHONE_LABELS = new Set(['tel', 'phone', 'ph', 'mobile', 'mob', 'cell', 'fax', 'sms', 'call'])

function contextBefore(text: string, i: number, meter: ScanMeter): Context {
  if (i === 0) return 'free'
  meter.reads++
  const p = text.charCodeAt(i - 1)
  if (isWhitespace(p) || OPENERS.has(p)) return 'free'
  // `3,1234567890` is a list of numbers (a CSV row of counts and cents), not a phone.
  if (p === COMMA) return i >= 2 && isDigit(text.charCodeAt(i - 2)) ? 'glued' : 'free'
  if (p === COLON || p === EQUALS || p === SLASH) return labelContext(text, i - 1, meter)
  return 'glued'
}

/**
 * `tel:` and `phone=` free the number after them; any other `word:` (or `/`) only admits a
 * formatted one, so `shopify:1063936318` and `/orders/7165550179` stay ids.
 */
function labelContext(text: string, colon: number, meter: ScanMeter): Context {
  let start = colon
  while (start > 0 && colon - start < 8 && isAsciiLetter(text.charCodeAt(start - 1))) {
    start--
    meter.reads++
  }
  const word = text.slice(start, colon).toLowerCase()
  const alone = start === 0 || !isWordChar(text.charCodeAt(start - 1))
  return alone && PHONE_LABELS.has(word) ? 'free' : 'label'
}

/** One group of digits in a run: `716`, or `(716)` with its parentheses. */
type Group = {
  start: number
  end: number
  digits: number
  paren: boolean
  /** The separator before it: a character code, 0 for none after `)`, -1 at the run's start. */
  sepBefore: number
}

function readGroup(text: string, pos: number, to: number, meter: ScanMeter): Group | undefined {
  const paren = text.charCodeAt(pos) === OPEN_PAREN
  let i = paren ? pos + 1 : pos
  while (i < to && isDigit(text.charCodeAt(i))) {
    i++
    meter.reads++
  }
  const digits = i - pos - (paren ? 1 : 0)
  if (digits === 0) return undefined
  if (paren) {
    if (i >= to || text.charCodeAt(i) !== CLOSE_PAREN) return undefined
    i++
  }
  return { start: pos, end: i, digits, paren, sepBefore: -1 }
}

const startsGroup = (c: number) => isDigit(c) || c === OPEN_PAREN

/**
 * Phone numbers in `text[from, to)`. Runs of digit groups start only where a number can stand
 * on its own (not inside `gc_123…`, `$1,250.00` or `2026-11-30T10:00`); each run is read once
 * and the scan goes on after it.
 */
function findPhones(text: string, from: number, to: number, meter: ScanMeter): PiiSpan[] {
  const spans: PiiSpan[] = []
  let i = from
  while (i < to) {
    meter.reads++
    const c = text.charCodeAt(i)
    const context = startsGroup(c) || c === PLUS ? contextBefore(text, i, meter) : 'glued'
    if (context === 'glued') {
      i++
      continue
    }
    const end = readRun(text, i, to, context, meter, spans)
    i = end > i ? end : i + 1
  }
  return spans
}

/**
 * Reads the run starting at `start` and adds the phone numbers in it to `spans`; returns where
 * the run ends (`start` if there is none). International numbers (`+…`, `00…`) are the run's
 * first 8 to 15 digits. Other runs are searched for North American shapes: 1-3-3-4, 3-3-4, 3-7
 * and a bare 10 digits (only where it stands free, not after a `.`, `-` or label).
 */
function readRun(
  text: string,
  start: number,
  to: number,
  context: Context,
  meter: ScanMeter,
  spans: PiiSpan[],
): number {
  const plus = text.charCodeAt(start) === PLUS
  let pos = plus ? start + 1 : start
  // Made only when a run needs them: most runs are one short group (`12`, `2026`).
  let international: InternationalNumber | undefined
  let windows: NorthAmericanWindows | undefined
  let sep = -1
  let last: Group | undefined
  for (;;) {
    const group = pos < to ? readGroup(text, pos, to, meter) : undefined
    if (!group) break
    group.sepBefore = sep
    if (!last && (plus || startsWithZeroZero(text, group)))
      international = new InternationalNumber(text, start, plus)
    last = group
    pos = group.end
    if (international) international.add(group)
    else if (windows || mayStartShape(group)) {
      windows ??= new NorthAmericanWindows(text, context, spans)
      windows.add(group)
    }
    if (pos >= to) break
    meter.reads++
    const c = text.charCodeAt(pos)
    if (isGroupSeparator(c) && pos + 1 < to && startsGroup(text.charCodeAt(pos + 1))) {
      sep = c
      pos++
    } else if (group.paren && startsGroup(c)) sep = 0
    else break
  }
  if (!last) return start
  const gluedAfter = gluedToWhatFollows(text, last.end, to)
  international?.finish(spans, gluedAfter)
  windows?.finish(gluedAfter)
  return last.end
}

/** `0044 20 7946 0958` or `00 44 …`: two zeros, then a country code. */
function startsWithZeroZero(text: string, group: Group): boolean {
  if (group.paren || !text.startsWith('00', group.start)) return false
  const next = text.charCodeAt(group.start + 2)
  return group.digits === 2 || (isDigit(next) && next !== 0x30)
}

/** Whether the character after a run makes its last group part of something else. */
function gluedToWhatFollows(text: string, end: number, to: number): boolean {
  if (end >= text.length) return false
  if (end >= to) return true // an email starts there
  const c = text.charCodeAt(end)
  if (isWordChar(c) || c === 0x25 || c === AT) return true
  return (c === COMMA || c === DOT) && end + 1 < to && isDigit(text.charCodeAt(end + 1))
}

/** A run written as an international number: `+` or `00`, then up to 15 digits. */
class InternationalNumber {
  #digits = ''
  #end = 0
  #full = false
  /** The `00` of `0044 …` is not part of the number. */
  #dropZeros: number

  constructor(
    private readonly text: string,
    private readonly start: number,
    plus: boolean,
  ) {
    this.#dropZeros = plus ? 0 : 2
  }

  /** Takes the run's next group, as long as the number stays within 15 digits. */
  add(group: Group): void {
    if (this.#full) return
    const from = group.paren ? group.start + 1 : group.start
    const to = group.paren ? group.end - 1 : group.end
    let digits = this.text.slice(from, Math.min(to, from + 16))
    if (this.#dropZeros > 0) {
      digits = digits.slice(this.#dropZeros)
      this.#dropZeros = 0
    }
    if (group.digits > 16 || this.#digits.length + digits.length > 15) {
      this.#full = true
      return
    }
    this.#digits += digits
    this.#end = group.end
  }

  finish(spans: PiiSpan[], gluedAfter: boolean): void {
    if (this.#digits.length < 8) return
    if (!this.#full && gluedAfter) return
    spans.push({ kind: 'phone', start: this.start, end: this.#end, value: `+${this.#digits}` })
  }
}

/** Whether a group can begin a North American shape (a country code 1, an area code, ten digits). */
const mayStartShape = (group: Group) =>
  group.digits === 1 || group.digits === 3 || group.digits === 10

/** North American shapes: area code and number, optionally after a country code of 1. */
const SHAPES: readonly {
  digits: readonly number[]
  areaCode: number
  bare?: true
  /** 3-7: an area code, then the seven digits of the number in one group. */
  sevenDigitNumber?: true
}[] = [
  { digits: [1, 3, 3, 4], areaCode: 1 },
  { digits: [3, 3, 4], areaCode: 0 },
  { digits: [3, 7], areaCode: 0, sevenDigitNumber: true },
  { digits: [10], areaCode: 0, bare: true },
]
const LONGEST_SHAPE = 4

/**
 * Slides the shapes over a run's groups as they arrive, keeping only the groups a shape may
 * still need, so a run of a million groups is judged in constant memory.
 */
class NorthAmericanWindows {
  #groups: Group[] = []

  constructor(
    private readonly text: string,
    private readonly context: Context,
    private readonly spans: PiiSpan[],
  ) {}

  add(group: Group): void {
    this.#groups.push(group)
    // A window is decided once the group after its longest shape (whose separator matters) is in.
    while (this.#groups.length > LONGEST_SHAPE) this.#decideFirst(false)
  }

  finish(gluedAfter: boolean): void {
    while (this.#groups.length > 0) this.#decideFirst(gluedAfter)
  }

  /** Tries every shape at the first group kept; drops the groups a match used, or just the first. */
  #decideFirst(gluedAfter: boolean): void {
    const groups = this.#groups
    const first = groups[0] as Group
    if (!mayStartShape(first)) {
      groups.shift()
      return
    }
    const context =
      first.sepBefore === -1 ? this.context : isGroupSpace(first.sepBefore) ? 'free' : 'label'
    for (const shape of SHAPES) {
      const n = shape.digits.length
      if (n > groups.length) continue
      if (context === 'glued' || (shape.bare && context !== 'free')) continue
      if (!fitsShape(groups, shape.digits, shape.areaCode)) continue
      if (shape.digits[0] === 1 && this.text.charCodeAt(first.start) !== 0x31) continue
      if (shape.sevenDigitNumber && !looksLikeAreaCodeAndNumber(this.text, groups)) continue
      const after = groups[n]
      // `1234567890.50` or `716.555.0179.2` continue as a decimal or a version: not a phone.
      if (after ? after.sepBefore === DOT : gluedAfter) continue
      const lastGroup = groups[n - 1] as Group
      const digits = groups
        .slice(0, n)
        .map((g) => this.text.slice(g.paren ? g.start + 1 : g.start, g.paren ? g.end - 1 : g.end))
        .join('')
      this.spans.push({
        kind: 'phone',
        start: first.start,
        end: lastGroup.end,
        value: northAmerican(digits),
      })
      groups.splice(0, n)
      return
    }
    groups.shift()
  }
}

/**
 * Whether a 3-7 pair reads as an area code and a number (`716 5550179`, `(716) 5550179`) rather
 * than a store's order or reference number (`111-0053877`): the two are written apart by a
 * space or the area code's parentheses, never a hyphen or dot (phones written with those are
 * 3-3-4), and both the area code and the exchange (the seven's first three) start with 2–9, as
 * every North American number's do (docs/privacy.md §What is not a phone number).
 */
function looksLikeAreaCodeAndNumber(text: string, groups: readonly Group[]): boolean {
  const area = groups[0] as Group
  const number = groups[1] as Group
  if (!(number.sepBefore === 0 || isGroupSpace(number.sepBefore))) return false
  const startsTwoToNine = (at: number) => {
    const c = text.charCodeAt(at)
    return c >= 0x32 && c <= 0x39
  }
  return startsTwoToNine(area.paren ? area.start + 1 : area.start) && startsTwoToNine(number.start)
}

/** Whether the first groups have the digits a shape wants; only the area code may be in parentheses. */
function fitsShape(groups: readonly Group[], digits: readonly number[], areaCode: number): boolean {
  for (let k = 0; k < digits.length; k++) {
    const group = groups[k] as Group
    if (group.digits !== digits[k] || (group.paren && k !== areaCode)) return false
  }
  return true
}

/** `+1` and the ten digits, when they can be a North American number; else the digits. */
function northAmerican(digits: string): string {
  if (digits.length === 11) return `+${digits}`
  const first = digits.charCodeAt(0)
  return first >= 0x32 && first <= 0x39 ? `+1${digits}` : digits
}
