import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A gift card as the fake keeps it: balance in cents, its transactions newest last. */
export type FakeShopifyCard = {
  id: string
  currency: string
  balanceCents: number
  enabled: boolean
  transactions: { id: string; kind: 'debit' | 'credit'; amountCents: number; note: string | null }[]
}

export type FakeShopify = {
  url: string
  apiVersion: string
  /** Cards by their numeric id (the `<id>` of `gid://shopify/GiftCard/<id>`). */
  cards: Record<string, FakeShopifyCard>
  /** Every GraphQL request: the operation's root field and its variables. */
  requests: { field: string; variables: Record<string, unknown> }[]
  /** Milliseconds to hold back the answer to the next mutations, after they took effect. */
  answerLate: number[]
  /** Top-level error codes to answer the next requests with (THROTTLED, ACCESS_DENIED…). */
  failNext: string[]
  close(): Promise<void>
}

const GID = /^gid:\/\/shopify\/GiftCard\/(\d+)$/
const DECIMAL = /^\d+(\.\d{1,2})?$/

/**
 * A loopback fake of the Shopify Admin GraphQL API at `/admin/api/{version}/graphql.json`, for
 * the three operations a card hold uses (docs/pos-sources.md): the `giftCard(id)` query (balance,
 * transactions), `giftCardDebit(id, debitInput: {debitAmount: {amount, currencyCode}, note})`
 * and `giftCardCredit(id, creditInput: {creditAmount, note})`, each answering `userErrors`
 * with Shopify's GiftCardTransactionUserErrorCode (INSUFFICIENT_FUNDS, MISMATCHING_CURRENCY,
 * NEGATIVE_OR_ZERO_AMOUNT, GIFT_CARD_NOT_FOUND, INVALID). Auth is `X-Shopify-Access-Token`
 * (401 otherwise); an unknown operation is a GraphQL error. There is no GraphQL parser here:
 * the operation is recognised by its root field, and the variables are checked as Shopify's
 * input types declare them.
 */
export async function startFakeShopify(
  token: string,
  apiVersion = '2025-10',
): Promise<FakeShopify> {
  const state = {
    cards: {} as Record<string, FakeShopifyCard>,
    requests: [] as FakeShopify['requests'],
    answerLate: [] as number[],
    failNext: [] as string[],
  }
  let seq = 0
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const send = (status: number, payload: unknown, delay = 0) => {
      const write = () => {
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      if (delay > 0) setTimeout(write, delay)
      else write()
    }
    if (req.method !== 'POST' || req.url !== `/admin/api/${apiVersion}/graphql.json`)
      return send(404, { errors: 'Not Found' })
    if (req.headers['x-shopify-access-token'] !== token)
      return send(401, {
        errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
      })
    let request: { query?: unknown; variables?: Record<string, unknown> }
    try {
      request = JSON.parse(body)
    } catch {
      return send(400, { errors: { query: 'Required parameter missing or invalid' } })
    }
    const query = typeof request.query === 'string' ? request.query : ''
    const variables = request.variables ?? {}
    const field = ['giftCardDebit', 'giftCardCredit', 'giftCard'].find((f) =>
      new RegExp(`\\b${f}\\s*\\(`).test(query),
    )
    state.requests.push({ field: field ?? '?', variables })
    const failure = state.failNext.shift()
    if (failure) return send(200, { errors: [{ message: failure, extensions: { code: failure } }] })
    if (!field)
      return send(200, {
        errors: [
          { message: 'Field is not defined on QueryRoot', extensions: { code: 'undefinedField' } },
        ],
      })
    const id = typeof variables.id === 'string' ? GID.exec(variables.id)?.[1] : undefined
    if (variables.id === undefined || (typeof variables.id === 'string' && !id))
      return send(200, {
        errors: [
          {
            message: `Variable $id of type ID! was provided invalid value`,
            extensions: { code: 'INVALID_VARIABLE' },
          },
        ],
      })
    const card = id ? state.cards[id] : undefined
    if (field === 'giftCard') {
      return send(200, {
        data: {
          giftCard: card
            ? {
                id: `gid://shopify/GiftCard/${card.id}`,
                enabled: card.enabled,
                balance: { amount: decimal(card.balanceCents), currencyCode: card.currency },
                transactions: {
                  nodes: card.transactions.slice(-250).map((t) => ({
                    id: `gid://shopify/GiftCard${t.kind === 'debit' ? 'Debit' : 'Credit'}Transaction/${t.id}`,
                    note: t.note,
                    amount: {
                      amount: decimal(t.kind === 'debit' ? -t.amountCents : t.amountCents),
                      currencyCode: card.currency,
                    },
                  })),
                },
              }
            : null,
        },
      })
    }
    const debit = field === 'giftCardDebit'
    const input = (debit ? variables.debitInput : variables.creditInput) as
      | {
          debitAmount?: { amount?: unknown; currencyCode?: unknown }
          creditAmount?: { amount?: unknown; currencyCode?: unknown }
          note?: unknown
        }
      | undefined
    const money = debit ? input?.debitAmount : input?.creditAmount
    const txField = debit ? 'giftCardDebitTransaction' : 'giftCardCreditTransaction'
    const userError = (code: string, message: string) =>
      send(200, {
        data: { [field]: { [txField]: null, userErrors: [{ code, field: ['id'], message }] } },
      })
    if (!money || typeof money.amount !== 'string' || !DECIMAL.test(money.amount))
      return userError('INVALID', 'amount must be a decimal string')
    const cents = Math.round(Number(money.amount) * 100)
    if (cents <= 0) return userError('NEGATIVE_OR_ZERO_AMOUNT', 'A positive amount must be used.')
    if (!card) return userError('GIFT_CARD_NOT_FOUND', 'The gift card could not be found.')
    if (money.currencyCode !== card.currency)
      return userError(
        'MISMATCHING_CURRENCY',
        'The currency provided does not match the currency of the gift card.',
      )
    if (debit && cents > card.balanceCents)
      return userError(
        'INSUFFICIENT_FUNDS',
        'The gift card does not have sufficient funds to satisfy the request.',
      )
    card.balanceCents += debit ? -cents : cents
    const tx = {
      id: String(++seq),
      kind: debit ? ('debit' as const) : ('credit' as const),
      amountCents: cents,
      note: typeof input?.note === 'string' ? input.note : null,
    }
    card.transactions.push(tx)
    return send(
      200,
      {
        data: {
          [field]: {
            [txField]: {
              id: `gid://shopify/GiftCard${debit ? 'Debit' : 'Credit'}Transaction/${tx.id}`,
              note: tx.note,
              amount: { amount: decimal(debit ? -cents : cents), currencyCode: card.currency },
            },
            userErrors: [],
          },
        },
      },
      state.answerLate.shift() ?? 0,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    apiVersion,
    cards: state.cards,
    requests: state.requests,
    get answerLate() {
      return state.answerLate
    },
    get failNext() {
      return state.failNext
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Cents as Shopify's Decimal string ("-12.50"). */
function decimal(cents: number): string {
  const abs = Math.abs(cents)
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}
