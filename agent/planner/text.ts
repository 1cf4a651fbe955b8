/**
 * Spelling, for the planner: words it does not know are read as the nearest word it does
 * ("liabilty" → "liability", "chanel" → "channel"), while the person's own text is kept for
 * anything quoted back (reasons, notes, what was not understood).
 */

/** Damerau–Levenshtein distance, stopping early once it exceeds `max`. */
export function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let prev2: number[] = []
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (prev2[j - 2] as number) + 1)
      row.push(v)
      if (v < best) best = v
    }
    if (best > max) return max + 1
    prev2 = prev
    prev = row
  }
  return prev[b.length] as number
}

/** Shorthand people type, read as the words it stands for. */
export const SHORTHAND: Readonly<Record<string, string>> = {
  liab: 'liability',
  txns: 'transactions',
  txn: 'transaction',
  trxns: 'transactions',
  bal: 'balance',
  bals: 'balances',
  acct: 'account',
  qtr: 'quarter',
  wk: 'week',
  wks: 'weeks',
  mo: 'month',
  mos: 'months',
  yr: 'year',
  yrs: 'years',
  ytd: 'ytd',
  gimme: 'give me',
  frz: 'freeze',
  unfrz: 'unfreeze',
  lemme: 'let me',
  pls: 'please',
  plz: 'please',
  u: 'you',
  ur: 'your',
  thx: 'thanks',
  ty: 'thanks',
  govt: 'government',
  approvs: 'approvals',
  esch: 'escheatment',
  frauds: 'fraud',
  redemps: 'redemptions',
  reds: 'redemptions',
  locs: 'locations',
  loc: 'location',
  lp: 'loss prevention',
}

/** A corrected text and where each of its characters came from in the original. */
export type Corrected = { text: string; original: string; at(index: number): number }

/** The text with each word `fix` changes replaced; ids, numbers and short words are left alone. */
export function correctText(original: string, fix: (word: string) => string): Corrected {
  let text = ''
  const from: number[] = []
  const re = /[A-Za-z][A-Za-z']*|[^A-Za-z]+/g
  for (let m = re.exec(original); m; m = re.exec(original)) {
    const token = m[0]
    const isWord = /^[A-Za-z]/.test(token)
    // Words glued to ids or digits ("gc_12ab", "loc_010") are not words to correct.
    const next = original[m.index + token.length]
    const prev = original[m.index - 1]
    const glued =
      (next !== undefined && /[_\d:]/.test(next)) || (prev !== undefined && /[_\d:]/.test(prev))
    const lower = token.toLowerCase()
    // "MO", "PA": a state's code in capitals is not shorthand for anything.
    const code = token.length === 2 && token === token.toUpperCase()
    const short = isWord && !glued && !code ? SHORTHAND[lower] : undefined
    const fixed = short ?? (isWord && !glued && token.length >= 4 ? fix(lower) : lower)
    const out = fixed === lower ? token : fixed
    for (let i = 0; i < out.length; i++)
      from.push(m.index + (out === token ? i : Math.min(i, token.length - 1)))
    text += out
  }
  from.push(original.length)
  return {
    text,
    original,
    at: (index) => from[Math.max(0, Math.min(index, from.length - 1))] as number,
  }
}

/**
 * The words the planner's readers look for (metrics, dimensions, statuses, rules, dates):
 * a misspelt one is read as the nearest of these before anything else is read.
 */
export const DOMAIN_WORDS: readonly string[] = [
  'liability',
  'liabilities',
  'outstanding',
  'balance',
  'balances',
  'breakage',
  'forecast',
  'forecasts',
  'projection',
  'redemption',
  'redemptions',
  'redeemed',
  'redeem',
  'refund',
  'refunds',
  'refunded',
  'loads',
  'loaded',
  'reload',
  'reloads',
  'activations',
  'activated',
  'channel',
  'channels',
  'occasion',
  'occasions',
  'segment',
  'segments',
  'jurisdiction',
  'jurisdictions',
  'location',
  'locations',
  'store',
  'stores',
  'state',
  'states',
  'region',
  'quarter',
  'quarterly',
  'month',
  'monthly',
  'months',
  'week',
  'weekly',
  'weeks',
  'daily',
  'yesterday',
  'today',
  'since',
  'between',
  'before',
  'after',
  'fraud',
  'alert',
  'alerts',
  'suspicious',
  'dormant',
  'inactive',
  'idle',
  'escheatment',
  'unclaimed',
  'campaign',
  'campaigns',
  'approval',
  'approve',
  'approvals',
  'approved',
  'rejected',
  'pending',
  'audit',
  'holds',
  'release',
  'released',
  'freeze',
  'frozen',
  'dismiss',
  'dismissed',
  'confirm',
  'confirmed',
  'purchasers',
  'transactions',
  'history',
  'activity',
  'online',
  'mobile',
  'corporate',
  'birthday',
  'holiday',
  'christmas',
  'summer',
  'spring',
  'winter',
  'autumn',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'score',
  'scores',
  'scoring',
  'sweep',
  'cohort',
  'issuance',
  'thanksgiving',
  'sorted',
  'enumeration',
  'testing',
  'impossible',
  'travel',
  'abuse',
  'drain',
  'activation',
  'bulk',
  'purchase',
  'purchases',
  'biggest',
  'largest',
  'highest',
  'lowest',
  'smallest',
  'dollars',
  'recognised',
  'recognized',
  'export',
  'spreadsheet',
  'deactivated',
  'expired',
  'active',
  'texas',
  'california',
  'florida',
  'washington',
  'oregon',
  'illinois',
  'delaware',
  'massachusetts',
  'jersey',
  'york',
  'georgia',
  'pennsylvania',
  'nevada',
  'arizona',
  'colorado',
]

const DOMAIN_SET = new Set(DOMAIN_WORDS)

/** The domain word a misspelt word means, or undefined ("redemtions" → "redemptions"). */
export function domainWord(word: string, extra: Iterable<string> = []): string | undefined {
  if (DOMAIN_SET.has(word) || word.length < 4) return undefined
  const max = word.length >= 8 ? 2 : 1
  let best: string | undefined
  let bestD = max + 1
  for (const w of [...extra, ...DOMAIN_WORDS]) {
    if (w.length < 4) continue
    if (w[0] !== word[0] && w[1] !== word[1]) continue
    const d = distance(word, w, max)
    if (d < bestD) {
      best = w
      bestD = d
    }
  }
  return best
}
