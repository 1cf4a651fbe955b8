import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { type Config, GiftCardError } from '../core/index.ts'

/** The card facts a connector needs to hold or release it at the POS. */
export type PosCard = {
  id: string
  source: string
  balanceCents: number
  currency: string
  locationId: string | null
}

export type PosResult = { connector: string; reference: string }

/**
 * Where a hold takes effect at the point of sale. Each call carries an idempotency key derived
 * from the approval id, so a retried execution never moves money twice at the POS.
 */
export interface PosConnector {
  placeHold(card: PosCard, idempotencyKey: string): Promise<PosResult>
  releaseHold(card: PosCard, amountCents: number, idempotencyKey: string): Promise<PosResult>
}

/** No POS to call (or a card no configured POS knows): the hold is recorded in the ledger only. */
export const recordOnlyConnector: PosConnector = {
  placeHold: async (_card, key) => ({ connector: 'ledger-only', reference: `local:${key}` }),
  releaseHold: async (_card, _amount, key) => ({
    connector: 'ledger-only',
    reference: `local:${key}`,
  }),
}

const squareActivityResponse = z.object({
  gift_card_activity: z.object({ id: z.string(), type: z.string() }),
})
const squareErrors = z.object({
  errors: z.array(
    z.object({ category: z.string(), code: z.string(), detail: z.string().optional() }),
  ),
})

/**
 * Square has no API hold: a reversible hold is an ADJUST_DECREMENT of the whole balance with
 * reason SUSPICIOUS_ACTIVITY, undone by an ADJUST_INCREMENT of the same amount
 * (CreateGiftCardActivity, POST /v2/gift-cards/activities). Cards from other sources are recorded
 * only.
 */
export class SquareConnector implements PosConnector {
  constructor(
    private readonly options: { baseUrl: string; accessToken: string; apiVersion: string },
    private readonly fallback: PosConnector = recordOnlyConnector,
  ) {}

  async placeHold(card: PosCard, idempotencyKey: string): Promise<PosResult> {
    if (card.source !== 'square') return this.fallback.placeHold(card, idempotencyKey)
    if (card.balanceCents <= 0) return { connector: 'square', reference: 'no-balance-to-hold' }
    return this.#activity(card, idempotencyKey, {
      type: 'ADJUST_DECREMENT',
      adjust_decrement_activity_details: {
        amount_money: { amount: card.balanceCents, currency: card.currency },
        reason: 'SUSPICIOUS_ACTIVITY',
      },
    })
  }

  async releaseHold(
    card: PosCard,
    amountCents: number,
    idempotencyKey: string,
  ): Promise<PosResult> {
    if (card.source !== 'square')
      return this.fallback.releaseHold(card, amountCents, idempotencyKey)
    if (amountCents <= 0) return { connector: 'square', reference: 'no-balance-to-restore' }
    return this.#activity(card, idempotencyKey, {
      type: 'ADJUST_INCREMENT',
      adjust_increment_activity_details: {
        amount_money: { amount: amountCents, currency: card.currency },
        reason: 'SUPPORT_ISSUE',
      },
    })
  }

  async #activity(
    card: PosCard,
    idempotencyKey: string,
    details: Record<string, unknown>,
  ): Promise<PosResult> {
    if (!card.locationId)
      throw new GiftCardError('CONFLICT', `card ${card.id} has no Square location to adjust it at`)
    const body = {
      idempotency_key: idempotencyKey,
      gift_card_activity: { location_id: card.locationId, gift_card_id: card.id, ...details },
    }
    let response: Response
    try {
      response = await fetch(`${this.options.baseUrl}/v2/gift-cards/activities`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.accessToken}`,
          'square-version': this.options.apiVersion,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      })
    } catch (cause) {
      throw new GiftCardError(
        'INTERNAL',
        `Square could not be reached: ${(cause as Error).message}`,
        { cause },
      )
    }
    const json: unknown = await response.json().catch(() => null)
    if (!response.ok) {
      const errors = squareErrors.safeParse(json)
      const what = errors.success
        ? errors.data.errors.map((e) => `${e.code}${e.detail ? ` (${e.detail})` : ''}`).join('; ')
        : `HTTP ${response.status}`
      throw new GiftCardError('CONFLICT', `Square refused the ${String(details.type)}: ${what}`)
    }
    const parsed = squareActivityResponse.safeParse(json)
    if (!parsed.success)
      throw new GiftCardError(
        'INTERNAL',
        'Square answered the activity request without a gift_card_activity',
      )
    return { connector: 'square', reference: parsed.data.gift_card_activity.id }
  }
}

/** Square when an access token is configured, otherwise ledger-only holds. */
export function createPosConnector(config: Config): PosConnector {
  const { accessToken, baseUrl, apiVersion } = config.square
  return accessToken
    ? new SquareConnector({ accessToken, baseUrl, apiVersion })
    : recordOnlyConnector
}

/** A fresh idempotency key when there is no approval to key on (never used for holds). */
export const newIdempotencyKey = (): string => randomUUID()
