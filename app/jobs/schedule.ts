import { Cron } from 'croner'

/**
 * Cron arithmetic for the scheduler (docs/jobs.md), on croner: the slots of a cron expression in
 * the chain's timezone. croner answers "the next run after t"; the scheduler also needs "the
 * latest slot at or before now", the one slot a restarted server catches up.
 */

/** How far back to look for the latest slot: an hour first, then wider, up to a year and a day. */
const LOOKBACKS_MS = [3_600_000, 86_400_000, 8 * 86_400_000, 32 * 86_400_000, 367 * 86_400_000]
/** Slots stepped through in one window at most (a per-minute cron over a day is 1,440). */
const MAX_STEPS = 20_000

export type Schedule = {
  cron: string
  timezone: string
  /** The latest slot at or before `now`, or undefined when there was none within a year. */
  latest(now: Date): Date | undefined
  /** The first slot after `now`. */
  next(now: Date): Date | undefined
}

export function schedule(cron: string, timezone: string): Schedule {
  const pattern = new Cron(cron, { timezone, paused: true })
  const next = (after: Date) => pattern.nextRun(after) ?? undefined
  return {
    cron,
    timezone,
    next,
    latest(now) {
      for (const lookback of LOOKBACKS_MS) {
        let slot = next(new Date(now.getTime() - lookback))
        let found: Date | undefined
        for (let steps = 0; slot && slot.getTime() <= now.getTime() && steps < MAX_STEPS; steps++) {
          found = slot
          slot = next(slot)
        }
        if (found) return found
      }
      return undefined
    },
  }
}
