/**
 * The fraud patterns of docs/domain.md §3. The seed injects each of them (its labels name these), and
 * the detectors of the analytics issue are named after them.
 */
export const FRAUD_PATTERNS = [
  'drain_after_activation',
  'balance_check_enumeration',
  'bulk_purchase',
  'impossible_travel',
  'reload_and_drain',
  'refund_abuse',
] as const
export type FraudPattern = (typeof FRAUD_PATTERNS)[number]

/** One line of a ground-truth labels file (JSON lines), written by `giftcards seed --labels`. */
export type FraudLabel = {
  card_id: string
  pattern: FraudPattern
  /** The event that begins the suspicious sequence on this card. */
  first_event_id: string
  occurred_at: string
}
