import { z } from 'zod'
import {
  moveOnce,
  type PosCard,
  type PosConnector,
  type PosMove,
  PosRefused,
  posRequest,
} from './connector.ts'

const giftCardResponse = z.object({
  gift_card: z.object({
    id: z.string().max(200),
    state: z.string().max(40).optional(),
    balance_money: z.object({ amount: z.number().int(), currency: z.string().max(3) }),
  }),
})
const activityResponse = z.object({
  gift_card_activity: z.object({ id: z.string().min(1).max(200), type: z.string().max(60) }),
})
const squareErrors = z.object({
  errors: z.array(
    z.object({
      category: z.string().max(100),
      code: z.string().max(100),
      detail: z.string().max(500).optional(),
    }),
  ),
})

/** Square's error list in one line, or the status when the body is not Square's shape. */
function refusal(status: number, json: unknown): string {
  const errors = squareErrors.safeParse(json)
  return errors.success
    ? errors.data.errors.map((e) => `${e.code}${e.detail ? ` (${e.detail})` : ''}`).join('; ')
    : `HTTP ${status}`
}

/**
 * Square (docs/pos-sources.md): Square has no API hold, so a hold is an ADJUST_DECREMENT of the
 * card's Square balance with reason SUSPICIOUS_ACTIVITY and a release an ADJUST_INCREMENT of the
 * amount held (CreateGiftCardActivity, POST /v2/gift-cards/activities). DEACTIVATE is permanent
 * and never used. The balance is read first with RetrieveGiftCard (GET /v2/gift-cards/{id}).
 * Square's `idempotency_key` answers a repeated request with the first activity, so looking the
 * key up is asking again with it: `moveOnce` repeats the same request after a silence.
 */
export class SquareConnector implements PosConnector {
  readonly name = 'square' as const
  readonly how = 'the balance is moved out (ADJUST_DECREMENT) and restored on release'

  constructor(
    private readonly options: {
      baseUrl: string
      accessToken: string
      apiVersion: string
      timeoutMs?: number
    },
  ) {}

  #headers() {
    return {
      authorization: `Bearer ${this.options.accessToken}`,
      'square-version': this.options.apiVersion,
      'content-type': 'application/json',
    }
  }

  async readBalance(card: PosCard): Promise<number> {
    const { status, json } = await posRequest(
      'Square',
      `${this.options.baseUrl}/v2/gift-cards/${encodeURIComponent(card.id)}`,
      { headers: this.#headers() },
      this.options.timeoutMs ?? 15_000,
    )
    if (status !== 200)
      throw new PosRefused(`Square refused to read card ${card.id}: ${refusal(status, json)}`)
    const parsed = giftCardResponse.safeParse(json)
    if (!parsed.success)
      throw new PosRefused(`Square answered RetrieveGiftCard for ${card.id} without a balance`)
    return parsed.data.gift_card.balance_money.amount
  }

  take(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#activity(card, amountCents, key, {
      type: 'ADJUST_DECREMENT',
      adjust_decrement_activity_details: {
        amount_money: { amount: amountCents, currency: card.currency },
        reason: 'SUSPICIOUS_ACTIVITY',
      },
    })
  }

  give(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#activity(card, amountCents, key, {
      type: 'ADJUST_INCREMENT',
      adjust_increment_activity_details: {
        amount_money: { amount: amountCents, currency: card.currency },
        reason: 'SUPPORT_ISSUE',
      },
    })
  }

  #activity(
    card: PosCard,
    amountCents: number,
    key: string,
    details: { type: string } & Record<string, unknown>,
  ): Promise<PosMove> {
    if (!card.locationId)
      throw new PosRefused(`card ${card.id} has no Square location to adjust it at`)
    const body = JSON.stringify({
      idempotency_key: key,
      gift_card_activity: { location_id: card.locationId, gift_card_id: card.id, ...details },
    })
    const make = async (): Promise<PosMove> => {
      const { status, json } = await posRequest(
        'Square',
        `${this.options.baseUrl}/v2/gift-cards/activities`,
        { method: 'POST', headers: this.#headers(), body },
        this.options.timeoutMs ?? 15_000,
      )
      if (status !== 200)
        throw new PosRefused(`Square refused the ${details.type}: ${refusal(status, json)}`)
      const parsed = activityResponse.safeParse(json)
      if (!parsed.success)
        throw new PosRefused(`Square answered the ${details.type} without a gift_card_activity`)
      return { reference: parsed.data.gift_card_activity.id, amountCents }
    }
    // Square cannot be asked "did key K land?" except by sending K again.
    return moveOnce(key, async () => null, make)
  }
}
