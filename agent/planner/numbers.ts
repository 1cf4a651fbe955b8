/**
 * Numbers said in words ("forty", "twenty-five", "two hundred and fifty", "a grand"), read the
 * same way wherever the planner reads a count or an amount (docs/planner.md §Slots): one grammar
 * instead of a list of the words each reader happened to need.
 */

const UNITS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const
const TENS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'] as const

const UNIT = `(?:${[...UNITS].reverse().join('|')})`
const TEN = `(?:${TENS.join('|')})`
/** 1–99 in words: "seven", "fifteen", "forty", "twenty-five", "twenty five". */
const UNDER_100 = `(?:${TEN}(?:[- ](?:${UNITS.slice(1, 10).join('|')}))?|${UNIT})`
/**
 * A number in words up to the thousands: "forty", "a hundred", "two hundred and fifty",
 * "a thousand", "a grand", "hundo". Longest forms first so a regex takes the whole number.
 */
export const NUMBER_WORDS_RE = `(?:(?:a|one|${UNDER_100})\\s+(?:thousand|grand)|(?:a|one|${UNDER_100})\\s+hundred(?:\\s+(?:and\\s+)?${UNDER_100})?|a\\s+(?:grand|hundo|c-note)|hundo|grand|${UNDER_100})`

/** The value of a number in words (see NUMBER_WORDS_RE), or undefined when it is not one. */
export function numberFromWords(words: string): number | undefined {
  const w = words.toLowerCase().trim().replace(/\s+/g, ' ')
  if (w === '') return undefined
  if (/^(a )?(grand)$/.test(w)) return 1000
  if (/^(a )?(hundo|c-note)$/.test(w)) return 100
  const small = (s: string): number | undefined => {
    if (s === 'a' || s === 'an') return 1
    const unit = UNITS.indexOf(s as (typeof UNITS)[number])
    if (unit >= 0) return unit
    const [ten, one] = s.split(/[- ]/)
    const t = TENS.indexOf(ten as (typeof TENS)[number])
    if (t < 0) return undefined
    if (one === undefined) return (t + 2) * 10
    const u = UNITS.indexOf(one as (typeof UNITS)[number])
    return u >= 1 && u <= 9 ? (t + 2) * 10 + u : undefined
  }
  const thousand = /^(.+?) (?:thousand|grand)$/.exec(w)
  if (thousand) {
    const n = small(thousand[1] as string)
    return n === undefined ? undefined : n * 1000
  }
  const hundred = /^(.+?) hundred(?: (?:and )?(.+))?$/.exec(w)
  if (hundred) {
    const n = small(hundred[1] as string)
    const rest = hundred[2] === undefined ? 0 : small(hundred[2])
    return n === undefined || rest === undefined ? undefined : n * 100 + rest
  }
  return small(w)
}
