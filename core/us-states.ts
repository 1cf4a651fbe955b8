/**
 * The US states, the District of Columbia and Puerto Rico: what store and customer master data
 * name a state by (docs/ingest.md, "Master data"). A state's jurisdiction is `US-<code>` (ISO
 * 3166-2), the key the liability and escheatment reports group by. `region` is the Census
 * Bureau's region (what `locations.region` holds for the synthetic chain); `timezone` is the
 * zone most of the state's people live in, used for a store whose master data gives none
 * (an assumption for the states that span two zones, docs/ingest.md).
 */
export const US_STATES = [
  ['AL', 'Alabama', 'South', 'America/Chicago'],
  ['AK', 'Alaska', 'West', 'America/Anchorage'],
  ['AZ', 'Arizona', 'West', 'America/Phoenix'],
  ['AR', 'Arkansas', 'South', 'America/Chicago'],
  ['CA', 'California', 'West', 'America/Los_Angeles'],
  ['CO', 'Colorado', 'West', 'America/Denver'],
  ['CT', 'Connecticut', 'Northeast', 'America/New_York'],
  ['DE', 'Delaware', 'South', 'America/New_York'],
  ['DC', 'District of Columbia', 'South', 'America/New_York'],
  ['FL', 'Florida', 'South', 'America/New_York'],
  ['GA', 'Georgia', 'South', 'America/New_York'],
  ['HI', 'Hawaii', 'West', 'Pacific/Honolulu'],
  ['ID', 'Idaho', 'West', 'America/Boise'],
  ['IL', 'Illinois', 'Midwest', 'America/Chicago'],
  ['IN', 'Indiana', 'Midwest', 'America/Indiana/Indianapolis'],
  ['IA', 'Iowa', 'Midwest', 'America/Chicago'],
  ['KS', 'Kansas', 'Midwest', 'America/Chicago'],
  ['KY', 'Kentucky', 'South', 'America/New_York'],
  ['LA', 'Louisiana', 'South', 'America/Chicago'],
  ['ME', 'Maine', 'Northeast', 'America/New_York'],
  ['MD', 'Maryland', 'South', 'America/New_York'],
  ['MA', 'Massachusetts', 'Northeast', 'America/New_York'],
  ['MI', 'Michigan', 'Midwest', 'America/Detroit'],
  ['MN', 'Minnesota', 'Midwest', 'America/Chicago'],
  ['MS', 'Mississippi', 'South', 'America/Chicago'],
  ['MO', 'Missouri', 'Midwest', 'America/Chicago'],
  ['MT', 'Montana', 'West', 'America/Denver'],
  ['NE', 'Nebraska', 'Midwest', 'America/Chicago'],
  ['NV', 'Nevada', 'West', 'America/Los_Angeles'],
  ['NH', 'New Hampshire', 'Northeast', 'America/New_York'],
  ['NJ', 'New Jersey', 'Northeast', 'America/New_York'],
  ['NM', 'New Mexico', 'West', 'America/Denver'],
  ['NY', 'New York', 'Northeast', 'America/New_York'],
  ['NC', 'North Carolina', 'South', 'America/New_York'],
  ['ND', 'North Dakota', 'Midwest', 'America/Chicago'],
  ['OH', 'Ohio', 'Midwest', 'America/New_York'],
  ['OK', 'Oklahoma', 'South', 'America/Chicago'],
  ['OR', 'Oregon', 'West', 'America/Los_Angeles'],
  ['PA', 'Pennsylvania', 'Northeast', 'America/New_York'],
  ['RI', 'Rhode Island', 'Northeast', 'America/New_York'],
  ['SC', 'South Carolina', 'South', 'America/New_York'],
  ['SD', 'South Dakota', 'Midwest', 'America/Chicago'],
  ['TN', 'Tennessee', 'South', 'America/Chicago'],
  ['TX', 'Texas', 'South', 'America/Chicago'],
  ['UT', 'Utah', 'West', 'America/Denver'],
  ['VT', 'Vermont', 'Northeast', 'America/New_York'],
  ['VA', 'Virginia', 'South', 'America/New_York'],
  ['WA', 'Washington', 'West', 'America/Los_Angeles'],
  ['WV', 'West Virginia', 'South', 'America/New_York'],
  ['WI', 'Wisconsin', 'Midwest', 'America/Chicago'],
  ['WY', 'Wyoming', 'West', 'America/Denver'],
  ['PR', 'Puerto Rico', 'Puerto Rico', 'America/Puerto_Rico'],
] as const

export type UsStateCode = (typeof US_STATES)[number][0]

/** A state as master data resolves it. */
export type UsState = {
  code: UsStateCode
  name: string
  /** `US-<code>`: the jurisdiction liability and escheatment are reported under. */
  jurisdiction: `US-${UsStateCode}`
  region: string
  timezone: string
}

const BY_KEY = new Map<string, UsState>()
for (const [code, name, region, timezone] of US_STATES) {
  const state: UsState = { code, name, jurisdiction: `US-${code}`, region, timezone }
  for (const key of [code, name, `US-${code}`]) BY_KEY.set(key.toLowerCase(), state)
}
// What exports also write for the capital district.
BY_KEY.set('washington dc', BY_KEY.get('dc') as UsState)
BY_KEY.set('washington, d.c.', BY_KEY.get('dc') as UsState)

/**
 * The state a master data file names: a two-letter code (`CA`, `ca`), its jurisdiction
 * (`US-CA`) or its full name (`California`, case and surrounding or doubled spaces ignored).
 * Undefined for anything else, which the caller reports as a bad row.
 */
export function usState(text: string): UsState | undefined {
  return BY_KEY.get(text.trim().replace(/\s+/g, ' ').toLowerCase())
}
