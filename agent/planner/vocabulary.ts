import type { ChainStore } from '../../tools/index.ts'

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

export const DEFAULT_TIMEZONE = 'America/New_York'

export const EMPTY_VOCABULARY: Vocabulary = {
  stores: [],
  timezone: DEFAULT_TIMEZONE,
  now: () => new Date(),
}
