import type { Occasion, Rng } from '../core/index.ts'

/** Names for the synthetic PII. Emails use example.com; phones the fictional 555-01xx block. */
export const FIRST_NAMES = [
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Ava',
  'Elijah',
  'Sophia',
  'James',
  'Isabella',
  'Lucas',
  'Mia',
  'Mateo',
  'Amelia',
  'Benjamin',
  'Harper',
  'Levi',
  'Evelyn',
  'Ethan',
  'Abigail',
  'Daniel',
  'Priya',
  'Wei',
  'Aisha',
  'Diego',
  'Fatima',
  'Hiroshi',
  'Chloe',
  'Omar',
  'Grace',
  'Santiago',
  'Zoe',
  'Kwame',
  'Lena',
  'Ravi',
  'Nora',
  'Yusuf',
  'Hannah',
  'Carlos',
  'Maya',
  'Samuel',
] as const

export const LAST_NAMES = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Nguyen',
  'Patel',
  'Kim',
  'Chen',
  'Okafor',
  'Kowalski',
  'Rossi',
  'Novak',
  'Haddad',
  'Sato',
  'Singh',
] as const

export const AREA_CODES: Record<string, readonly string[]> = {
  'US-CA': ['415', '213', '619', '916', '408'],
  'US-DE': ['302'],
  'US-NY': ['212', '718', '716', '518'],
  'US-TX': ['713', '214', '512', '210'],
  'US-FL': ['305', '407', '813', '904'],
  'US-WA': ['206', '509', '253'],
  'US-IL': ['312', '630'],
  'US-MA': ['617'],
  'US-NJ': ['973', '201'],
  'US-GA': ['404'],
  'US-CO': ['303'],
  'US-AZ': ['602'],
  'US-OR': ['503'],
}

/** A product category with its SKU range and typical price (cents). */
export type Category = { name: string; code: string; skus: number; medianCents: number }

export const CATEGORIES: readonly Category[] = [
  { name: 'apparel', code: 'APP', skus: 400, medianCents: 4500 },
  { name: 'footwear', code: 'FTW', skus: 150, medianCents: 7900 },
  { name: 'beauty', code: 'BTY', skus: 250, medianCents: 2400 },
  { name: 'home', code: 'HOM', skus: 300, medianCents: 3500 },
  { name: 'kitchen', code: 'KIT', skus: 200, medianCents: 2900 },
  { name: 'electronics', code: 'ELC', skus: 180, medianCents: 8900 },
  { name: 'toys', code: 'TOY', skus: 220, medianCents: 2500 },
  { name: 'books', code: 'BOK', skus: 300, medianCents: 1800 },
  { name: 'grocery', code: 'GRO', skus: 260, medianCents: 900 },
  { name: 'cafe', code: 'CAF', skus: 40, medianCents: 650 },
  { name: 'stationery', code: 'STA', skus: 120, medianCents: 800 },
  { name: 'seasonal', code: 'SEA', skus: 160, medianCents: 2200 },
]

/** Categories a basket is built around, by the occasion the card was bought for. */
const THEMES: Record<Occasion, readonly { categories: readonly string[]; weight: number }[]> = {
  holiday: [
    { categories: ['toys', 'books', 'seasonal'], weight: 4 },
    { categories: ['electronics', 'home'], weight: 3 },
    { categories: ['apparel', 'footwear'], weight: 3 },
  ],
  birthday: [
    { categories: ['apparel', 'beauty'], weight: 4 },
    { categories: ['books', 'stationery'], weight: 2 },
    { categories: ['toys', 'cafe'], weight: 2 },
  ],
  corporate: [
    { categories: ['electronics', 'kitchen'], weight: 3 },
    { categories: ['home', 'kitchen'], weight: 3 },
    { categories: ['apparel', 'beauty'], weight: 2 },
  ],
  self_use: [
    { categories: ['cafe', 'grocery'], weight: 5 },
    { categories: ['grocery', 'kitchen', 'home'], weight: 3 },
    { categories: ['books', 'stationery', 'cafe'], weight: 2 },
  ],
}

const CATEGORY_BY_NAME = new Map(CATEGORIES.map((c) => [c.name, c]))
const THEME_WEIGHTS = Object.fromEntries(
  Object.entries(THEMES).map(([occasion, themes]) => [occasion, themes.map((t) => t.weight)]),
) as Record<Occasion, number[]>

export type Item = { sku: string; category: string; amountCents: number }

/**
 * The line items of an order worth `totalCents`, built around a theme that fits the
 * occasion (so product affinities exist in the data). The items sum exactly to the total.
 */
export function basket(rng: Rng, occasion: Occasion, totalCents: number): Item[] {
  const themes = THEMES[occasion]
  const theme = themes[rng.weighted(THEME_WEIGHTS[occasion])] ?? themes[0]!
  const count = totalCents < 1500 ? 1 : rng.weighted([50, 35, 15]) + 1
  const items: Item[] = []
  let left = totalCents
  for (let i = 0; i < count; i++) {
    const categoryName = rng.chance(0.85) ? rng.pick(theme.categories) : rng.pick(CATEGORIES).name
    const category = CATEGORY_BY_NAME.get(categoryName) ?? CATEGORIES[0]!
    const share = i === count - 1 ? left : Math.max(1, Math.round(left * rng.between(0.3, 0.7)))
    left -= share
    items.push({
      sku: `${category.code}-${String(rng.int(1, category.skus)).padStart(4, '0')}`,
      category: category.name,
      amountCents: share,
    })
  }
  return items
}

/** The gift card line of the order that sold a card. */
export function giftCardItem(valueCents: number, digital: boolean): Item {
  return {
    sku: `GC-${digital ? 'DIGITAL' : 'PLASTIC'}-${Math.round(valueCents / 100)}`,
    category: 'gift_cards',
    amountCents: valueCents,
  }
}

/** Things bought alongside a gift card (greeting cards, wrap), for the upsell and affinity tools. */
export function addOnItem(rng: Rng): Item {
  return rng.chance(0.6)
    ? {
        sku: `STA-${String(rng.int(1, 30)).padStart(4, '0')}`,
        category: 'stationery',
        amountCents: rng.pick([399, 499, 599, 699]),
      }
    : {
        sku: `SEA-${String(rng.int(1, 40)).padStart(4, '0')}`,
        category: 'seasonal',
        amountCents: rng.pick([799, 999, 1499]),
      }
}
