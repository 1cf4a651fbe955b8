import type { Rng } from '../core/index.ts'

/** A city the chain can open stores in. UTC offsets are standard time (DST is ignored). */
export type City = {
  city: string
  jurisdiction: string
  region: string
  timezone: string
  utcOffsetHours: number
  latitude: number
  longitude: number
  /** Relative size of the market. */
  weight: number
}

export const CITIES: readonly City[] = [
  {
    city: 'San Francisco',
    jurisdiction: 'US-CA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 37.7749,
    longitude: -122.4194,
    weight: 5,
  },
  {
    city: 'Los Angeles',
    jurisdiction: 'US-CA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 34.0522,
    longitude: -118.2437,
    weight: 7,
  },
  {
    city: 'San Diego',
    jurisdiction: 'US-CA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 32.7157,
    longitude: -117.1611,
    weight: 4,
  },
  {
    city: 'Sacramento',
    jurisdiction: 'US-CA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 38.5816,
    longitude: -121.4944,
    weight: 2,
  },
  {
    city: 'San Jose',
    jurisdiction: 'US-CA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 37.3382,
    longitude: -121.8863,
    weight: 3,
  },
  {
    city: 'Wilmington',
    jurisdiction: 'US-DE',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 39.7391,
    longitude: -75.5398,
    weight: 2,
  },
  {
    city: 'Dover',
    jurisdiction: 'US-DE',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 39.1582,
    longitude: -75.5244,
    weight: 1,
  },
  {
    city: 'New York',
    jurisdiction: 'US-NY',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 40.7128,
    longitude: -74.006,
    weight: 8,
  },
  {
    city: 'Brooklyn',
    jurisdiction: 'US-NY',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 40.6782,
    longitude: -73.9442,
    weight: 4,
  },
  {
    city: 'Buffalo',
    jurisdiction: 'US-NY',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 42.8864,
    longitude: -78.8784,
    weight: 2,
  },
  {
    city: 'Albany',
    jurisdiction: 'US-NY',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 42.6526,
    longitude: -73.7562,
    weight: 1,
  },
  {
    city: 'Houston',
    jurisdiction: 'US-TX',
    region: 'South',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 29.7604,
    longitude: -95.3698,
    weight: 5,
  },
  {
    city: 'Dallas',
    jurisdiction: 'US-TX',
    region: 'South',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 32.7767,
    longitude: -96.797,
    weight: 5,
  },
  {
    city: 'Austin',
    jurisdiction: 'US-TX',
    region: 'South',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 30.2672,
    longitude: -97.7431,
    weight: 3,
  },
  {
    city: 'San Antonio',
    jurisdiction: 'US-TX',
    region: 'South',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 29.4241,
    longitude: -98.4936,
    weight: 3,
  },
  {
    city: 'Miami',
    jurisdiction: 'US-FL',
    region: 'South',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 25.7617,
    longitude: -80.1918,
    weight: 4,
  },
  {
    city: 'Orlando',
    jurisdiction: 'US-FL',
    region: 'South',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 28.5383,
    longitude: -81.3792,
    weight: 3,
  },
  {
    city: 'Tampa',
    jurisdiction: 'US-FL',
    region: 'South',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 27.9506,
    longitude: -82.4572,
    weight: 3,
  },
  {
    city: 'Jacksonville',
    jurisdiction: 'US-FL',
    region: 'South',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 30.3322,
    longitude: -81.6557,
    weight: 2,
  },
  {
    city: 'Seattle',
    jurisdiction: 'US-WA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 47.6062,
    longitude: -122.3321,
    weight: 4,
  },
  {
    city: 'Spokane',
    jurisdiction: 'US-WA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 47.6588,
    longitude: -117.426,
    weight: 1,
  },
  {
    city: 'Tacoma',
    jurisdiction: 'US-WA',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 47.2529,
    longitude: -122.4443,
    weight: 1,
  },
  {
    city: 'Chicago',
    jurisdiction: 'US-IL',
    region: 'Midwest',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 41.8781,
    longitude: -87.6298,
    weight: 6,
  },
  {
    city: 'Naperville',
    jurisdiction: 'US-IL',
    region: 'Midwest',
    timezone: 'America/Chicago',
    utcOffsetHours: -6,
    latitude: 41.7508,
    longitude: -88.1535,
    weight: 1,
  },
  {
    city: 'Boston',
    jurisdiction: 'US-MA',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 42.3601,
    longitude: -71.0589,
    weight: 4,
  },
  {
    city: 'Cambridge',
    jurisdiction: 'US-MA',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 42.3736,
    longitude: -71.1097,
    weight: 1,
  },
  {
    city: 'Newark',
    jurisdiction: 'US-NJ',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 40.7357,
    longitude: -74.1724,
    weight: 2,
  },
  {
    city: 'Jersey City',
    jurisdiction: 'US-NJ',
    region: 'Northeast',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 40.7178,
    longitude: -74.0431,
    weight: 2,
  },
  {
    city: 'Atlanta',
    jurisdiction: 'US-GA',
    region: 'South',
    timezone: 'America/New_York',
    utcOffsetHours: -5,
    latitude: 33.749,
    longitude: -84.388,
    weight: 4,
  },
  {
    city: 'Denver',
    jurisdiction: 'US-CO',
    region: 'West',
    timezone: 'America/Denver',
    utcOffsetHours: -7,
    latitude: 39.7392,
    longitude: -104.9903,
    weight: 3,
  },
  {
    city: 'Phoenix',
    jurisdiction: 'US-AZ',
    region: 'West',
    timezone: 'America/Phoenix',
    utcOffsetHours: -7,
    latitude: 33.4484,
    longitude: -112.074,
    weight: 3,
  },
  {
    city: 'Portland',
    jurisdiction: 'US-OR',
    region: 'West',
    timezone: 'America/Los_Angeles',
    utcOffsetHours: -8,
    latitude: 45.5152,
    longitude: -122.6784,
    weight: 2,
  },
]

/** Jurisdictions every chain has at least one store in (their escheatment rules differ most). */
export const REQUIRED_JURISDICTIONS = [
  'US-CA',
  'US-DE',
  'US-NY',
  'US-TX',
  'US-FL',
  'US-WA',
  'US-IL',
  'US-MA',
] as const

const STORE_SUFFIXES = [
  'Downtown',
  'Mall',
  'Plaza',
  'North',
  'South',
  'Center',
  'Riverside',
  'Uptown',
  'Market',
  'Station',
]

export type Store = City & {
  index: number
  id: string
  name: string
  terminals: string[]
  employees: string[]
  openedAtMs: number
}

/**
 * Chooses `count` stores (20–60): one in each required jurisdiction first, the rest by market
 * size, each with 3–8 terminals and 6–24 employees.
 */
export function planStores(rng: Rng, count: number, openedBeforeMs: number): Store[] {
  const cities: City[] = []
  for (const jurisdiction of REQUIRED_JURISDICTIONS) {
    const inState = CITIES.filter((c) => c.jurisdiction === jurisdiction)
    cities.push(inState[rng.weighted(inState.map((c) => c.weight))] as City)
  }
  const weights = CITIES.map((c) => c.weight)
  while (cities.length < count) cities.push(CITIES[rng.weighted(weights)] as City)
  const usedNames = new Set<string>()
  return cities.map((city, index) => {
    const number = String(index + 1).padStart(3, '0')
    let name = city.city
    for (let k = 0; usedNames.has(name); k++) {
      name = `${city.city} ${STORE_SUFFIXES[k % STORE_SUFFIXES.length]}${k >= STORE_SUFFIXES.length ? ` ${k}` : ''}`
    }
    usedNames.add(name)
    const terminals = Array.from({ length: rng.int(3, 8) }, (_, t) => `term_${number}_${t + 1}`)
    const employees = Array.from(
      { length: rng.int(6, 24) },
      (_, e) => `emp_${number}_${String(e + 1).padStart(2, '0')}`,
    )
    return {
      ...city,
      index,
      id: `loc_${number}`,
      name,
      terminals,
      employees,
      openedAtMs: openedBeforeMs - rng.int(200, 3000) * 86_400_000,
    }
  })
}
