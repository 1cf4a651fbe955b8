import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import { type ApiResponse, errorDetail, type RetryPolicy, requestJson } from './pos-api.ts'
import {
  type CloverOrder,
  type CloverPayment,
  cloverOrderSchema,
  cloverPaymentSchema,
} from './sources/clover.ts'

export type CloverClientOptions = RetryPolicy & {
  /** The REST API: `https://api.clover.com` (or EU, LA, a sandbox, a loopback fake). */
  baseUrl: string
  /** The Ecommerce gift card API: `https://scl.clover.com` (sandbox `scl-sandbox.dev.clover.com`). */
  giftCardBaseUrl: string
  /** Merchant id → its API token (a merchant-generated token or an OAuth access token). */
  merchants: Record<string, string>
}

/** What Clover's balance inquiry says a gift card holds, in cents. */
export type CloverBalance = { balanceCents: number; status?: string }

const balanceSchema = z.object({
  status: z.string().max(40).nullish(),
  gift_card: z.object({
    new_balance: z.number().int().min(0).max(100_000_000).nullish(),
    balance: z.number().int().min(0).max(100_000_000).nullish(),
  }),
})

/**
 * The Clover calls the ledger makes: one payment or order by id (REST API v3, what a webhook
 * notification names) and a gift card's balance (Ecommerce gift card API, `POST
 * /v1/balance_inquiry` with a gift card token). Bearer auth per merchant; 429 and 5xx retried
 * with Clover's `retry-after`; docs/pos-sources.md.
 */
export class CloverClient {
  constructor(private readonly options: CloverClientOptions) {}

  /** Whether the ledger holds a token for this merchant (notifications for others are ignored). */
  knows(merchantId: string): boolean {
    return merchantId in this.options.merchants
  }

  /** The first configured merchant (whose token reads balances by default). */
  get defaultMerchant(): string | undefined {
    return Object.keys(this.options.merchants)[0]
  }

  /** `GET /v3/merchants/{mId}/payments/{id}`, expanded; null when Clover has no such payment. */
  async payment(merchantId: string, paymentId: string): Promise<CloverPayment | null> {
    const json = await this.get(
      merchantId,
      'GetPayment',
      `/v3/merchants/${encodeURIComponent(merchantId)}/payments/${encodeURIComponent(paymentId)}`,
      'tender,cardTransaction,refunds',
    )
    return json === null ? null : this.read(json, cloverPaymentSchema, 'GetPayment')
  }

  /** `GET /v3/merchants/{mId}/orders/{id}`, with its line items, customers and payments. */
  async order(merchantId: string, orderId: string): Promise<CloverOrder | null> {
    const json = await this.get(
      merchantId,
      'GetOrder',
      `/v3/merchants/${encodeURIComponent(merchantId)}/orders/${encodeURIComponent(orderId)}`,
      'lineItems,customers,payments,payments.cardTransaction,payments.tender,payments.refunds',
    )
    return json === null ? null : this.read(json, cloverOrderSchema, 'GetOrder')
  }

  /** `POST /v1/balance_inquiry` with a gift card token: the card's current balance. */
  async balance(merchantId: string, token: string): Promise<CloverBalance> {
    const response = await requestJson(
      {
        service: 'Clover',
        operation: 'balance_inquiry',
        url: new URL('/v1/balance_inquiry', this.options.giftCardBaseUrl),
        init: {
          method: 'POST',
          headers: { ...this.headers(merchantId), 'content-type': 'application/json' },
          body: JSON.stringify({ source: token }),
        },
      },
      this.options,
    )
    const json = refuse(response, 'balance_inquiry')
    const body = this.read(json, balanceSchema, 'balance_inquiry')
    const cents = body.gift_card.new_balance ?? body.gift_card.balance
    if (cents === null || cents === undefined)
      throw new GiftCardError('INVALID_INPUT', 'Clover answered balance_inquiry without a balance')
    return { balanceCents: cents, ...(body.status ? { status: body.status } : {}) }
  }

  private headers(merchantId: string): Record<string, string> {
    const token = this.options.merchants[merchantId]
    if (!token)
      throw new GiftCardError(
        'CONFIG_INVALID',
        `CLOVER_MERCHANTS has no token for merchant ${merchantId}`,
      )
    return { Authorization: `Bearer ${token}`, Accept: 'application/json' }
  }

  private async get(
    merchantId: string,
    operation: string,
    path: string,
    expand: string,
  ): Promise<unknown | null> {
    const url = new URL(path, this.options.baseUrl)
    url.searchParams.set('expand', expand)
    const response = await requestJson(
      { service: 'Clover', operation, url, init: { headers: this.headers(merchantId) } },
      this.options,
    )
    if (response.status === 404) return null
    return refuse(response, operation)
  }

  private read<T extends z.ZodType>(json: unknown, schema: T, operation: string): z.infer<T> {
    const parsed = schema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new GiftCardError(
        'INVALID_INPUT',
        `Clover's ${operation} answer does not look as documented: ${issue?.path.join('.') || 'body'} ${issue?.message}`,
      )
    }
    return parsed.data
  }
}

function refuse(response: ApiResponse, operation: string): unknown {
  if (response.status >= 200 && response.status < 300) return response.json
  throw new GiftCardError(
    response.status === 401 || response.status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT',
    `Clover refused ${operation} (${response.status}): ${errorDetail(response.json)}`,
  )
}
