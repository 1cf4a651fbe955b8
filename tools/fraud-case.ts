import { z } from 'zod'
import { GiftCardError } from '../core/index.ts'
import { listHolds } from '../governance/index.ts'
import type { ToolContext } from './define-tool.ts'
import { money } from './format.ts'
import { type StoreView, storeDirectory, storeView } from './locations.ts'
import { moneySchema, storeViewSchema } from './result-schemas.ts'

/**
 * A fraud case file (docs/fraud-cases.md): everything loss prevention needs to decide on an
 * alert, in one place. The alert's rule, score, reason and figures; the card's timeline with
 * store names, terminals and employees; cards related through a shared customer, terminal,
 * employee or order; and the card's holds with their approvals. Customers appear only by
 * pseudonym. Built on read, never stored.
 */
export const fraudCaseSchema = z.object({
  alert: z.object({
    alertId: z.number(),
    rule: z.string(),
    score: z.number(),
    status: z.string(),
    detectedAt: z.string(),
    reason: z.string().nullable(),
    figures: z.record(z.string(), z.unknown()),
    note: z.string().nullable(),
    updatedBy: z.string().nullable(),
  }),
  card: z.object({
    cardId: z.string(),
    last4: z.string(),
    status: z.string(),
    balance: moneySchema,
    issuedAt: z.string(),
    store: storeViewSchema.nullable(),
    purchaser: z.string().nullable(),
    holder: z.string().nullable(),
  }),
  /** Every event of the card, oldest first (at most MAX_TIMELINE); triggering ones marked. */
  timeline: z.array(
    z.object({
      eventId: z.string(),
      at: z.string(),
      type: z.string(),
      result: z.string(),
      amount: moneySchema,
      balanceAfter: moneySchema.nullable(),
      store: storeViewSchema.nullable(),
      terminal: z.string().nullable(),
      employee: z.string().nullable(),
      order: z.string().nullable(),
      customer: z.string().nullable(),
      triggering: z.boolean(),
    }),
  ),
  timelineTruncated: z.boolean(),
  related: z.array(
    z.object({
      cardId: z.string(),
      last4: z.string(),
      status: z.string(),
      /** How it is linked: `customer`, `terminal`, `employee` or `order`, and through what. */
      via: z.array(
        z.object({ kind: z.enum(['customer', 'terminal', 'employee', 'order']), key: z.string() }),
      ),
      openAlerts: z.number(),
    }),
  ),
  holds: z.array(
    z.object({
      holdId: z.number(),
      status: z.string(),
      reason: z.string().nullable(),
      amountHeld: moneySchema,
      placedAt: z.string(),
      approvalId: z.number().nullable(),
      requestedBy: z.string().nullable(),
      approvedBy: z.string().nullable(),
      releasedAt: z.string().nullable(),
      releaseReason: z.string().nullable(),
    }),
  ),
  /** Hold or release requests on the card still waiting for a manager. */
  pendingApprovals: z.array(
    z.object({
      approvalId: z.number(),
      action: z.string(),
      requestedBy: z.string(),
      reason: z.string().nullable(),
    }),
  ),
})
/** get_fraud_case's result (the schema is its output). */
export type FraudCase = z.infer<typeof fraudCaseSchema>

/** The most events of a card a case file lists (a card rarely has more than a few dozen). */
const MAX_TIMELINE = 200
/** The most related cards listed. */
const MAX_RELATED = 20
/** Uses at the same terminal, or by the same employee, this close to a triggering event relate. */
const NEARBY_MS = 60 * 60_000

export async function buildFraudCase(ctx: ToolContext, alertId: number): Promise<FraudCase> {
  const { db } = ctx.database
  const alert = await db
    .selectFrom('fraud_alerts')
    .selectAll()
    .where('id', '=', alertId)
    .executeTakeFirst()
  if (!alert) throw new GiftCardError('NOT_FOUND', `no fraud alert #${alertId}`)
  const card = await db
    .selectFrom('gift_cards')
    .selectAll()
    .where('id', '=', alert.card_id)
    .executeTakeFirstOrThrow()
  const evidence = JSON.parse(alert.evidence) as {
    reason?: string
    eventIds?: string[]
    figures?: Record<string, unknown>
  }
  const triggering = new Set(evidence.eventIds ?? [])
  const events = await db
    .selectFrom('gift_card_transactions')
    .select([
      'event_id',
      'type',
      'result',
      'amount_cents',
      'balance_after_cents',
      'occurred_at',
      'location_id',
      'terminal_id',
      'employee_id',
      'order_id',
      'customer_id',
    ])
    .where('card_id', '=', card.id)
    .orderBy('occurred_at')
    .orderBy('id')
    .limit(MAX_TIMELINE + 1)
    .execute()
  const shown = events.slice(0, MAX_TIMELINE)
  const directory = await storeDirectory(ctx.database)
  const customerIds = new Set<string>()
  for (const id of [
    card.purchaser_customer_id,
    card.holder_customer_id,
    ...shown.map((e) => e.customer_id),
  ])
    if (id) customerIds.add(id)
  const pseudonyms = new Map(
    customerIds.size === 0
      ? []
      : (
          await db
            .selectFrom('customers')
            .select(['id', 'pseudonym'])
            .where('id', 'in', [...customerIds])
            .execute()
        ).map((c) => [c.id, c.pseudonym]),
  )
  const pseudonym = (id: string | null) => (id ? (pseudonyms.get(id) ?? null) : null)

  const related = await relatedCards(ctx, card.id, {
    customers: [...customerIds],
    orders: [...new Set(shown.map((e) => e.order_id).filter((o): o is string => o !== null))],
    nearby: shown.filter((e) => triggering.has(e.event_id)),
    pseudonym,
  })
  const holds = await listHolds(ctx.database, { cardId: card.id, limit: 50 })
  const pending = await db
    .selectFrom('approval_requests')
    .select(['id', 'action', 'args', 'requested_by', 'reason'])
    .where('status', '=', 'pending')
    .where('action', 'in', ['place_card_hold', 'release_card_hold'])
    .execute()
  return {
    alert: {
      alertId: Number(alert.id),
      rule: alert.rule,
      score: alert.score,
      status: alert.status,
      detectedAt: alert.detected_at,
      reason: evidence.reason ?? null,
      figures: evidence.figures ?? {},
      note: alert.note,
      updatedBy: alert.updated_by,
    },
    card: {
      cardId: card.id,
      last4: card.gan_last4,
      status: card.status,
      balance: money(card.balance_cents),
      issuedAt: card.issued_at,
      store: storeView(directory, card.issuing_location_id),
      purchaser: pseudonym(card.purchaser_customer_id),
      holder: pseudonym(card.holder_customer_id),
    },
    timeline: shown.map((e) => ({
      eventId: e.event_id,
      at: e.occurred_at,
      type: e.type,
      result: e.result,
      amount: money(e.amount_cents),
      balanceAfter: e.balance_after_cents === null ? null : money(e.balance_after_cents),
      store: storeView(directory, e.location_id),
      terminal: e.terminal_id,
      employee: e.employee_id,
      order: e.order_id,
      customer: pseudonym(e.customer_id),
      triggering: triggering.has(e.event_id),
    })),
    timelineTruncated: events.length > MAX_TIMELINE,
    related,
    holds: holds.holds.map((h) => ({
      holdId: h.holdId,
      status: h.status,
      reason: h.reason,
      amountHeld: money(h.amountCents),
      placedAt: h.placedAt,
      approvalId: h.approvalId,
      requestedBy: h.requestedBy,
      approvedBy: h.approvedBy,
      releasedAt: h.releasedAt,
      releaseReason: h.releaseReason,
    })),
    pendingApprovals: pending
      .filter((p) => (JSON.parse(p.args) as { cardId?: string }).cardId === card.id)
      .map((p) => ({
        approvalId: Number(p.id),
        action: p.action,
        requestedBy: p.requested_by,
        reason: p.reason,
      })),
  }
}

/**
 * Cards linked to the case's card: bought or held by, or used by, the same customer; in an
 * order the card was in; used at the same terminal or by the same employee within an hour of a
 * triggering event. Each with how it is linked and its open alerts.
 */
async function relatedCards(
  ctx: ToolContext,
  cardId: string,
  links: {
    customers: string[]
    orders: string[]
    nearby: { occurred_at: string; terminal_id: string | null; employee_id: string | null }[]
    pseudonym: (id: string | null) => string | null
  },
): Promise<FraudCase['related']> {
  const { db } = ctx.database
  const found = new Map<string, FraudCase['related'][number]['via']>()
  const add = (id: string | null, via: FraudCase['related'][number]['via'][number]) => {
    if (!id || id === cardId) return
    const list = found.get(id) ?? []
    if (!list.some((v) => v.kind === via.kind && v.key === via.key)) list.push(via)
    found.set(id, list)
  }
  if (links.customers.length > 0) {
    const owned = await db
      .selectFrom('gift_cards')
      .select(['id', 'purchaser_customer_id', 'holder_customer_id'])
      .where((eb) =>
        eb.or([
          eb('purchaser_customer_id', 'in', links.customers),
          eb('holder_customer_id', 'in', links.customers),
        ]),
      )
      .limit(MAX_RELATED * 5)
      .execute()
    for (const c of owned) {
      const customer = links.customers.includes(c.purchaser_customer_id ?? '')
        ? c.purchaser_customer_id
        : c.holder_customer_id
      add(c.id, { kind: 'customer', key: links.pseudonym(customer) ?? 'a customer' })
    }
  }
  if (links.orders.length > 0) {
    const inOrders = await db
      .selectFrom('gift_card_transactions')
      .select(['card_id', 'order_id'])
      .where('order_id', 'in', links.orders.slice(0, 100))
      .limit(MAX_RELATED * 5)
      .execute()
    for (const r of inOrders) add(r.card_id, { kind: 'order', key: r.order_id as string })
  }
  for (const event of links.nearby.slice(0, 20)) {
    const at = Date.parse(event.occurred_at)
    const window = [new Date(at - NEARBY_MS).toISOString(), new Date(at + NEARBY_MS).toISOString()]
    for (const kind of ['terminal', 'employee'] as const) {
      const key = kind === 'terminal' ? event.terminal_id : event.employee_id
      if (!key) continue
      const near = await db
        .selectFrom('gift_card_transactions')
        .select('card_id')
        .where(kind === 'terminal' ? 'terminal_id' : 'employee_id', '=', key)
        .where('occurred_at', '>=', window[0] as string)
        .where('occurred_at', '<=', window[1] as string)
        .limit(MAX_RELATED * 5)
        .execute()
      for (const r of near) add(r.card_id, { kind, key })
    }
  }
  // Under a pilot (docs/pilot.md) only its cards are named, whatever links them.
  let candidates = db
    .selectFrom('gift_cards')
    .select(['id', 'gan_last4', 'status'])
    .where('id', 'in', [...found.keys(), ''])
  if (ctx.scope.pilot)
    candidates = candidates.where('issuing_location_id', 'in', [...ctx.scope.locationIds, ''])
  const inScope = await candidates.execute()
  const ids = [...found.keys()]
    .filter((id) => inScope.some((c) => c.id === id))
    .slice(0, MAX_RELATED)
  if (ids.length === 0) return []
  const [cards, alerts] = await Promise.all([
    Promise.resolve(inScope),
    db
      .selectFrom('fraud_alerts')
      .select(['card_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('card_id', 'in', ids)
      .where('status', '=', 'open')
      .groupBy('card_id')
      .execute(),
  ])
  const open = new Map(alerts.map((a) => [a.card_id, Number(a.n)]))
  const byId = new Map(cards.map((c) => [c.id, c]))
  return ids.flatMap((id) => {
    const c = byId.get(id)
    return c
      ? [
          {
            cardId: id,
            last4: c.gan_last4,
            status: c.status,
            via: found.get(id) ?? [],
            openAlerts: open.get(id) ?? 0,
          },
        ]
      : []
  })
}

/** A case file as a readable Markdown document (for the CLI's --out and the case webhook). */
export function caseMarkdown(c: FraudCase): string {
  const store = (s: StoreView | null) => (s ? `${s.name} (${s.id})` : '—')
  const cell = (v: string | null | undefined) => (v ?? '—').replace(/\|/g, '\\|')
  const lines = [
    `# Fraud case: alert #${c.alert.alertId} — ${c.alert.rule.replace(/_/g, ' ')}`,
    '',
    `- **Card:** ${c.card.cardId} (…${c.card.last4}), ${c.card.status}, balance ${c.card.balance.formatted}, issued ${c.card.issuedAt.slice(0, 10)} at ${store(c.card.store)}`,
    `- **Score:** ${c.alert.score.toFixed(2)} · **status:** ${c.alert.status}${c.alert.updatedBy ? ` (by ${c.alert.updatedBy})` : ''} · detected ${c.alert.detectedAt}`,
    `- **Reason:** ${c.alert.reason ?? '—'}`,
    ...(c.alert.note ? [`- **Note:** ${c.alert.note}`] : []),
    ...(c.card.purchaser || c.card.holder
      ? [`- **Purchaser:** ${c.card.purchaser ?? '—'} · **holder:** ${c.card.holder ?? '—'}`]
      : []),
    ...Object.entries(c.alert.figures).map(([k, v]) => `  - ${k}: ${String(v)}`),
    '',
    `## Timeline (${c.timeline.length} events${c.timelineTruncated ? ', the first shown' : ''}; ★ triggered the alert)`,
    '',
    '| | when | type | result | amount | balance after | store | terminal | employee | order |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...c.timeline.map(
      (e) =>
        `| ${e.triggering ? '★' : ''} | ${e.at} | ${e.type} | ${e.result} | ${e.amount.formatted} | ${e.balanceAfter?.formatted ?? '—'} | ${cell(store(e.store))} | ${cell(e.terminal)} | ${cell(e.employee)} | ${cell(e.order)} |`,
    ),
    '',
    '## Related cards',
    '',
    ...(c.related.length === 0
      ? ['None found through a shared customer, order, terminal or employee.']
      : c.related.map(
          (r) =>
            `- ${r.cardId} (…${r.last4}), ${r.status}, ${r.openAlerts} open alert${r.openAlerts === 1 ? '' : 's'}: ${r.via.map((v) => `${v.kind} ${v.key}`).join(', ')}`,
        )),
    '',
    '## Holds and approvals',
    '',
    ...(c.holds.length === 0 && c.pendingApprovals.length === 0
      ? ['No hold has been placed or requested on this card.']
      : [
          ...c.holds.map(
            (h) =>
              `- Hold #${h.holdId} (${h.status}), ${h.amountHeld.formatted}, placed ${h.placedAt}${h.approvalId !== null ? ` under approval #${h.approvalId}` : ''} (requested by ${h.requestedBy ?? '—'}, approved by ${h.approvedBy ?? '—'}): ${h.reason ? `"${h.reason}"` : 'no reason given'}${h.releasedAt ? `; released ${h.releasedAt}${h.releaseReason ? `: "${h.releaseReason}"` : ''}` : ''}`,
          ),
          ...c.pendingApprovals.map(
            (p) =>
              `- Approval #${p.approvalId} pending: ${p.action.replace(/_/g, ' ')}, requested by ${p.requestedBy}${p.reason ? `: "${p.reason}"` : ''}`,
          ),
        ]),
    '',
  ]
  return lines.join('\n')
}
