/** The source of "now", injected so tests and as-of reports can pin it. */
export interface Clock {
  now(): Date
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() }

/** A clock stopped at one instant (tests, reproducible reports). */
export function fixedClock(at: Date | string): Clock {
  const instant = new Date(at)
  return { now: () => new Date(instant) }
}
