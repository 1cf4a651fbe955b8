import type { CardEvent } from '../core/index.ts'

/** An event that was applied to the ledger (a duplicate is never passed on). */
export type AppliedEvent = CardEvent & {
  /** The ledger's own card id. */
  cardId: string
  /** The card's balance after this event, as the ledger now holds it. */
  balanceAfterCents: number
}

/**
 * In-process listeners called after each applied event, once its transaction committed.
 * The streaming fraud detector plugs in here. A listener that throws is logged, never
 * undoes the event.
 */
export interface EventListener {
  onEvent(event: AppliedEvent): void | Promise<void>
}

/** The default: listen to nothing. */
export const noopListener: EventListener = { onEvent: () => {} }
