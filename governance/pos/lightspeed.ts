import { z } from 'zod'
import {
  moveOnce,
  type PosCard,
  type PosConnector,
  type PosMove,
  PosRefused,
  posAmountToCents,
  posRequest,
} from './connector.ts'

const amount = z.union([z.number(), z.string().max(40)])
const transaction = z.object({
  id: z.string().min(1).max(200),
  amount,
  type: z.string().max(40),
  client_id: z.string().max(200).nullish(),
})
const cardAnswer = z.object({
  data: z.object({
    id: z.string().max(200),
    number: z.string().min(1).max(64),
    status: z.string().max(40),
    balance: amount,
    gift_card_transactions: z.array(transaction).max(10_000).default([]),
  }),
})
const transactionAnswer = z.object({ data: transaction })
const errorBody = z
  .object({
    error: z.string().max(500).optional(),
    message: z.string().max(500).optional(),
    details: z.string().max(500).optional(),
  })
  .nullable()

/**
 * Lightspeed Retail X-Series (Gift Cards API, docs/pos-sources.md): a hold is a REDEEMING gift
 * card transaction of the balance (negative amount) and a release a RELOADING transaction of
 * the amount held, both by `POST /api/2.0/gift_cards/{number}/transactions` with the approval
 * key as `client_id`, the idempotency key X-Series documents for that call (a short balance is
 * a 422). Before each move the card is read (`GET /api/2.0/gift_cards/by_id/{id}`: its number,
 * balance and transactions) and a transaction already carrying the key is taken as the move.
 * Voiding a card (DELETE) zeroes it for good and is never used. Ledger cards are
 * `lightspeed:<id>`.
 */
export class LightspeedConnector implements PosConnector {
  readonly name = 'lightspeed' as const
  readonly how =
    'the balance is taken out (a REDEEMING gift card transaction) and reloaded on release'

  constructor(
    private readonly options: { baseUrl: string; accessToken: string; timeoutMs?: number },
  ) {}

  #headers() {
    return {
      authorization: `Bearer ${this.options.accessToken}`,
      'content-type': 'application/json',
    }
  }

  #lightspeedId(card: PosCard): string {
    const match = /^lightspeed:(.{1,200})$/.exec(card.id)
    if (!match?.[1]) throw new PosRefused(`card ${card.id} is not a Lightspeed gift card id`)
    return match[1]
  }

  async #card(card: PosCard) {
    const { status, json } = await posRequest(
      'Lightspeed',
      `${this.options.baseUrl}/api/2.0/gift_cards/by_id/${encodeURIComponent(this.#lightspeedId(card))}`,
      { headers: this.#headers() },
      this.options.timeoutMs ?? 15_000,
    )
    if (status !== 200)
      throw new PosRefused(`Lightspeed refused to read card ${card.id}: ${why(status, json)}`)
    const parsed = cardAnswer.safeParse(json)
    if (!parsed.success)
      throw new PosRefused(`Lightspeed answered the card ${card.id} in an unexpected shape`)
    return parsed.data.data
  }

  async readBalance(card: PosCard): Promise<number> {
    return posAmountToCents('Lightspeed', (await this.#card(card)).balance)
  }

  take(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#move(card, amountCents, key, 'REDEEMING')
  }

  give(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#move(card, amountCents, key, 'RELOADING')
  }

  #move(
    card: PosCard,
    amountCents: number,
    key: string,
    type: 'REDEEMING' | 'RELOADING',
  ): Promise<PosMove> {
    let number: string | undefined
    const find = async (): Promise<PosMove | null> => {
      const found = await this.#card(card)
      number = found.number
      const earlier = found.gift_card_transactions.find((t) => t.client_id === key)
      return earlier
        ? {
            reference: earlier.id,
            amountCents: Math.abs(posAmountToCents('Lightspeed', earlier.amount)),
          }
        : null
    }
    const make = async (): Promise<PosMove> => {
      const signed = type === 'REDEEMING' ? -amountCents : amountCents
      const { status, json } = await posRequest(
        'Lightspeed',
        `${this.options.baseUrl}/api/2.0/gift_cards/${encodeURIComponent(number ?? '')}/transactions`,
        {
          method: 'POST',
          headers: this.#headers(),
          body: JSON.stringify({ type, amount: signed / 100, client_id: key }),
        },
        this.options.timeoutMs ?? 15_000,
      )
      if (status !== 200 && status !== 201)
        throw new PosRefused(`Lightspeed refused the ${type} transaction: ${why(status, json)}`)
      const parsed = transactionAnswer.safeParse(json)
      if (!parsed.success)
        throw new PosRefused(`Lightspeed answered the ${type} transaction in an unexpected shape`)
      return { reference: parsed.data.data.id, amountCents }
    }
    return moveOnce(key, find, make)
  }
}

/** Lightspeed's error text, or the status alone. */
function why(status: number, json: unknown): string {
  const body = errorBody.safeParse(json)
  const text =
    body.success && body.data
      ? (body.data.details ?? body.data.message ?? body.data.error)
      : undefined
  return `HTTP ${status}${text ? ` (${text})` : ''}`
}
