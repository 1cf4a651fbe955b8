import { z } from 'zod'
import { centsToMajor } from '../../core/index.ts'
import {
  moveOnce,
  type PosCard,
  type PosConnector,
  type PosMove,
  PosRefused,
  PosUnanswered,
  posAmountToCents,
  posRequest,
} from './connector.ts'

const money = z.object({ amount: z.string().max(40), currencyCode: z.string().max(3) })
const transaction = z.object({
  id: z.string().max(200),
  note: z.string().max(5000).nullable().optional(),
  amount: money,
})
const cardQuery = z.object({
  data: z.object({
    giftCard: z
      .object({
        id: z.string().max(200),
        enabled: z.boolean().optional(),
        balance: money,
        transactions: z.object({ nodes: z.array(transaction).max(250) }),
      })
      .nullable(),
  }),
})
const userErrors = z.array(
  z.object({
    code: z.string().max(60).nullable().optional(),
    message: z.string().max(500),
  }),
)
const mutationAnswer = (field: string, transactionField: string) =>
  z.object({
    data: z.object({
      [field]: z.object({
        [transactionField]: transaction.nullable().optional(),
        userErrors,
      }),
    }),
  })
const graphqlErrors = z.object({
  errors: z
    .array(
      z.object({
        message: z.string().max(1000),
        extensions: z.object({ code: z.string().max(60).optional() }).optional(),
      }),
    )
    .min(1),
})

const restError = z.object({ errors: z.string().max(300) })

const CARD = `query HoldCard($id: ID!) {
  giftCard(id: $id) {
    id
    enabled
    balance { amount currencyCode }
    transactions(last: 250) { nodes { id note amount { amount currencyCode } } }
  }
}`
const DEBIT = `mutation HoldDebit($id: ID!, $debitInput: GiftCardDebitInput!) {
  giftCardDebit(id: $id, debitInput: $debitInput) {
    giftCardDebitTransaction { id note amount { amount currencyCode } }
    userErrors { code message }
  }
}`
const CREDIT = `mutation HoldCredit($id: ID!, $creditInput: GiftCardCreditInput!) {
  giftCardCredit(id: $id, creditInput: $creditInput) {
    giftCardCreditTransaction { id note amount { amount currencyCode } }
    userErrors { code message }
  }
}`

/** The note a hold's debit or a release's credit carries: it is how the key is found again. */
export const shopifyNote = (key: string) => `giftcards ${key}: card hold (issue 23)`

/**
 * Shopify (Admin GraphQL API, docs/pos-sources.md): deactivating a gift card is irreversible, so
 * a hold is a `giftCardDebit` of the balance and a release a `giftCardCredit` of the amount held.
 * Neither mutation takes an idempotency key, so the key rides in the transaction's `note`, and
 * before each move the card's transactions are read for it (`moveOnce`): a move that landed
 * without an answer is found, not repeated. Ledger cards are `shopify:<id>`, the GraphQL id
 * `gid://shopify/GiftCard/<id>`.
 */
export class ShopifyConnector implements PosConnector {
  readonly name = 'shopify' as const
  readonly how = 'the balance is debited (giftCardDebit) and credited back on release'

  constructor(
    private readonly options: {
      /** `https://{shop}.myshopify.com`, or a fake's URL. */
      shopUrl: string
      accessToken: string
      apiVersion: string
      timeoutMs?: number
    },
  ) {}

  async #graphql(query: string, variables: Record<string, unknown>): Promise<unknown> {
    const { status, json } = await posRequest(
      'Shopify',
      `${this.options.shopUrl}/admin/api/${this.options.apiVersion}/graphql.json`,
      {
        method: 'POST',
        headers: {
          'x-shopify-access-token': this.options.accessToken,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ query, variables }),
      },
      this.options.timeoutMs ?? 15_000,
    )
    if (status !== 200) {
      // Shopify's REST-style errors: `{"errors": "[API] Invalid API key or access token …"}`.
      const text = restError.safeParse(json)
      throw new PosRefused(
        `Shopify refused the request: HTTP ${status}${text.success ? ` (${text.data.errors})` : ''}`,
      )
    }
    const errors = graphqlErrors.safeParse(json)
    if (errors.success) {
      const what = errors.data.errors.map((e) => e.extensions?.code ?? e.message).join('; ')
      // Throttled or failed inside Shopify: the request may be asked again.
      if (
        errors.data.errors.some((e) =>
          /THROTTLED|INTERNAL_SERVER_ERROR/.test(e.extensions?.code ?? ''),
        )
      )
        throw new PosUnanswered(`Shopify answered ${what}`)
      throw new PosRefused(`Shopify refused the request: ${what}`)
    }
    return json
  }

  #gid(card: PosCard): string {
    const match = /^shopify:(\d{1,20})$/.exec(card.id)
    if (!match) throw new PosRefused(`card ${card.id} is not a Shopify gift card id`)
    return `gid://shopify/GiftCard/${match[1]}`
  }

  async #card(card: PosCard) {
    const parsed = cardQuery.safeParse(await this.#graphql(CARD, { id: this.#gid(card) }))
    if (!parsed.success)
      throw new PosRefused(`Shopify answered the card query for ${card.id} in an unexpected shape`)
    if (!parsed.data.data.giftCard) throw new PosRefused(`Shopify has no gift card ${card.id}`)
    return parsed.data.data.giftCard
  }

  async readBalance(card: PosCard): Promise<number> {
    return posAmountToCents('Shopify', (await this.#card(card)).balance.amount)
  }

  take(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#move(card, amountCents, key, 'giftCardDebit')
  }

  give(card: PosCard, amountCents: number, key: string): Promise<PosMove> {
    return this.#move(card, amountCents, key, 'giftCardCredit')
  }

  #move(
    card: PosCard,
    amountCents: number,
    key: string,
    mutation: 'giftCardDebit' | 'giftCardCredit',
  ): Promise<PosMove> {
    const note = shopifyNote(key)
    const find = async (): Promise<PosMove | null> => {
      const found = (await this.#card(card)).transactions.nodes.find((t) => t.note === note)
      return found
        ? {
            reference: found.id,
            amountCents: Math.abs(posAmountToCents('Shopify', found.amount.amount)),
          }
        : null
    }
    const make = async (): Promise<PosMove> => {
      const amount = { amount: centsToMajor(amountCents), currencyCode: card.currency }
      const debit = mutation === 'giftCardDebit'
      const txField = debit ? 'giftCardDebitTransaction' : 'giftCardCreditTransaction'
      const json = await this.#graphql(debit ? DEBIT : CREDIT, {
        id: this.#gid(card),
        ...(debit
          ? { debitInput: { debitAmount: amount, note } }
          : { creditInput: { creditAmount: amount, note } }),
      })
      const parsed = mutationAnswer(mutation, txField).safeParse(json)
      if (!parsed.success)
        throw new PosRefused(`Shopify answered ${mutation} in an unexpected shape`)
      const payload = parsed.data.data[mutation] as {
        userErrors: z.infer<typeof userErrors>
      } & Record<string, z.infer<typeof transaction> | null | undefined>
      if (payload.userErrors.length > 0)
        throw new PosRefused(
          `Shopify refused the ${mutation}: ${payload.userErrors.map((e) => `${e.code ?? 'ERROR'} (${e.message})`).join('; ')}`,
        )
      const made = payload[txField]
      if (!made) throw new PosRefused(`Shopify answered ${mutation} without a transaction`)
      return { reference: made.id, amountCents }
    }
    return moveOnce(key, find, make)
  }
}
