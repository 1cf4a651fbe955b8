import { DEFAULT_CHAIN_TIMEZONE } from '../../core/index.ts'
import type { ChainStore } from '../../tools/index.ts'
import type { Calendar } from './dates.ts'

/**
 * What the planner knows of the chain it serves: its stores (names are not personal data), its
 * calendar, and the clock. The agent reads it from the ledger when it opens and again after a
 * minute (tools/chain-vocabulary.ts); tests give their own.
 */
export type Store = ChainStore

export type Vocabulary = {
  stores: readonly Store[]
  /** The chain's timezone: "since nov 1" is that day's midnight there. */
  timezone: string
  /** The clock the planner reads "today" from. */
  now: () => Date
}

export const EMPTY_VOCABULARY: Vocabulary = {
  stores: [],
  timezone: DEFAULT_CHAIN_TIMEZONE,
  now: () => new Date(),
}

/** The calendar a request is read on: the chain's timezone and the clock, read once. */
export function calendarOf(vocabulary: Vocabulary): Calendar {
  return { timezone: vocabulary.timezone, now: vocabulary.now() }
}
