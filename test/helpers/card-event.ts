import type { CardEvent } from '../../core/index.ts'

/** A normalised POS event in USD, as tests hand to applyBatch; `extra` sets the rest. */
export const cardEvent = (
  source: CardEvent['source'],
  eventId: string,
  cardRef: string,
  type: CardEvent['type'],
  amountCents: number,
  occurredAt: string,
  extra: Partial<CardEvent> = {},
): CardEvent => ({
  source,
  eventId,
  cardRef,
  type,
  amountCents,
  currency: 'USD',
  occurredAt,
  ...extra,
})
