import { z } from 'zod'
import { DAY_MS, EVENT_SOURCES, toIso } from '../core/index.ts'
import { balanceReadAdjustments, cardBalanceDrift } from '../db/index.ts'
import { ledgerUpTo } from './chain-calendar.ts'
import { ALL_ROLES, defineTool } from './define-tool.ts'
import { money } from './format.ts'
import { answerFreshness } from './freshness.ts'
import { locationArgument, storeDirectory, storeView } from './locations.ts'
import { locationInScope, storesToKeep } from './pilot.ts'
import {
  answerFreshnessSchema,
  locationEchoSchema,
  moneySchema,
  storeViewSchema,
} from './result-schemas.ts'

/**
 * `reconcile_ledger` (docs/reconciliation.md): the agent's view of reconciliation. A chat
 * cannot hand the server a file safely, so the tool compares what the ledger itself holds:
 * each card's stored balance (the POS-reported balance after its newest event, where the POS
 * reports one) against the sum of its events, the balance-read adjustments Clover syncs
 * raised, and each source's freshness. `giftcards reconcile FILE` compares an export.
 */
/** reconcile_ledger's result: balance drift, balance-read adjustments and feed freshness. */
export const reconcileLedgerOutput = z.object({
  source: z.enum(EVENT_SOURCES).optional(),
  location: locationEchoSchema.optional(),
  cardsChecked: z.number(),
  drifting: z.number(),
  totalDrift: moneySchema,
  cards: z.array(
    z.object({
      cardId: z.string(),
      last4: z.string(),
      source: z.enum(EVENT_SOURCES),
      store: storeViewSchema.nullable(),
      balance: moneySchema,
      eventsSum: moneySchema,
      drift: moneySchema,
      balanceAsOf: z.string().nullable(),
    }),
  ),
  balanceReadAdjustments: z.object({
    since: z.string(),
    count: z.number(),
    total: moneySchema,
    latest: z.array(
      z.object({
        eventId: z.string(),
        cardId: z.string().nullable(),
        amount: moneySchema,
        reportedBalance: moneySchema.nullable(),
        at: z.string(),
      }),
    ),
  }),
  freshness: answerFreshnessSchema,
  ledgerUpTo: z.string().nullable(),
  equal: z.boolean(),
})
export type ReconcileLedgerResult = z.infer<typeof reconcileLedgerOutput>

export const reconcileLedger = defineTool({
  name: 'reconcile_ledger',
  title: 'Reconcile the ledger: balance drift and feed freshness',
  description:
    "Check the ledger against what the POS reported: cards whose stored balance (the balance the POS reported after the card's newest event) differs from the sum of the card's events in the ledger (drift: events missing from the ledger, or a change made at the POS and never sent), the balance-read adjustments Clover syncs made (a balance that moved at the POS with no event), and how fresh each source is (newest event, lag, stale sources). Optionally only cards of one source or one store. Returns { cardsChecked, drifting, totalDrift, cards: [{ cardId, last4, source, store { id, name, jurisdiction }, balance, eventsSum, drift, balanceAsOf }], balanceReadAdjustments { since, count, total, latest }, freshness, ledgerUpTo, equal }. For comparing an export file use the CLI: giftcards reconcile FILE.",
  input: z.object({
    source: z
      .enum(EVENT_SOURCES)
      .optional()
      .describe('only cards that came from this source (square, shopify, lightspeed, clover, …)'),
    location: locationArgument('only cards issued at this store or city'),
    days: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(30)
      .describe('balance-read adjustments of the last N days'),
    limit: z.number().int().min(0).max(100).default(20).describe('drifting cards to list'),
  }),
  output: reconcileLedgerOutput,
  access: 'read',
  roles: ALL_ROLES,
  // Cards issued at pilot stores only; freshness is per source, for the whole chain's feeds.
  pilot: 'scoped',
  run: async (ctx, input) => {
    const location = await locationInScope(ctx, input.location)
    const stores = storesToKeep(ctx, location)
    const since = toIso(Date.now() - input.days * DAY_MS)
    const filter = {
      ...(stores ? { stores } : {}),
      ...(input.source ? { source: input.source } : {}),
    }
    const [drift, adjustments, directory, freshness, upTo] = await Promise.all([
      cardBalanceDrift(ctx.database.db, filter, input.limit),
      balanceReadAdjustments(ctx.database.db, since, stores ? { stores } : {}, 10),
      storeDirectory(ctx.database),
      answerFreshness(ctx),
      ledgerUpTo(ctx),
    ])
    return {
      ...(input.source ? { source: input.source } : {}),
      ...(location ? { location: { query: location.query, stores: location.stores } } : {}),
      cardsChecked: drift.cardsChecked,
      drifting: drift.drifting,
      totalDrift: money(drift.totalDriftCents),
      cards: drift.cards.map((c) => ({
        cardId: c.cardId,
        last4: c.last4,
        source: c.source,
        store: storeView(directory, c.issuingLocationId),
        balance: money(c.balanceCents),
        eventsSum: money(c.eventsCents),
        drift: money(c.driftCents),
        balanceAsOf: c.balanceAsOf,
      })),
      balanceReadAdjustments: {
        since,
        count: adjustments.count,
        total: money(adjustments.totalCents),
        latest: adjustments.latest.map((a) => ({
          eventId: a.eventId,
          cardId: a.cardId,
          amount: money(a.amountCents),
          reportedBalance: a.reportedCents === null ? null : money(a.reportedCents),
          at: a.occurredAt,
        })),
      },
      freshness,
      ledgerUpTo: upTo,
      // No drift and no stale feed: the ledger agrees with what the POS reported.
      equal: drift.drifting === 0 && (freshness.stale?.length ?? 0) === 0,
    }
  },
})
