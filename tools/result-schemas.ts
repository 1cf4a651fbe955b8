import { z } from 'zod'
import {
  CARD_STATUSES,
  CHANNELS,
  EVENT_SOURCES,
  OCCASIONS,
  TRANSACTION_RESULTS,
  TRANSACTION_TYPES,
} from '../core/index.ts'
import { storedAudienceSchema } from './campaigns/audience.ts'

/**
 * The pieces tool results share, as zod schemas (docs/tools.md "Typed results"). Each tool's
 * `output` schema is built from them, so a store or an amount has one shape in every result and
 * one JSON Schema in MCP's `outputSchema`. They describe results, never input: nothing here is
 * bounded for parsing a caller's text.
 */

/** `money(cents)`: exact cents and the formatted amount. */
export const moneySchema = z.object({ cents: z.number(), formatted: z.string() })

/** A store as every result names it (tools/locations.ts `StoreView`). */
export const storeViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  city: z.string(),
  jurisdiction: z.string(),
})

/** A `location` argument as a result echoes it: what was written and the stores it meant. */
export const locationEchoSchema = z.object({
  query: z.string(),
  stores: z.array(storeViewSchema),
})

/** `cardView(card, store, owner?)` (tools/format.ts). */
export const cardViewSchema = z.object({
  cardId: z.string(),
  last4: z.string(),
  status: z.enum(CARD_STATUSES),
  balance: moneySchema,
  initialValue: moneySchema,
  currency: z.string(),
  issuedAt: z.string(),
  lastActivityAt: z.string().nullable(),
  store: storeViewSchema.nullable(),
  channel: z.enum(CHANNELS).nullable(),
  occasion: z.enum(OCCASIONS).nullable(),
  source: z.enum(EVENT_SOURCES),
  /** A pseudonym, never a name (present where the tool names an owner). */
  holder: z.string().nullable().optional(),
})

/** `page(items, total, offset)` (tools/format.ts). */
export const pageShape = <T extends z.ZodType>(item: T) => ({
  items: z.array(item),
  total: z.number(),
  offset: z.number(),
  nextOffset: z.number().optional(),
})

/** `answerFreshness(ctx)` (tools/freshness.ts). */
export const answerFreshnessSchema = z.object({
  sources: z.array(
    z.object({
      source: z.enum(EVENT_SOURCES),
      lastEventAt: z.string().nullable(),
      lagSeconds: z.number().nullable(),
    }),
  ),
  stale: z.array(z.enum(EVENT_SOURCES)).optional(),
  warning: z.string().optional(),
})

export const transactionTypeSchema = z.enum(TRANSACTION_TYPES)
export const transactionResultSchema = z.enum(TRANSACTION_RESULTS)

/** The pilot scope a result carries under a pilot (`withScope`, docs/pilot.md). */
export const scopeSummarySchema = z.object({
  pilot: z.literal(true),
  locations: z.array(z.string()),
  jurisdictions: z.array(z.string()),
  unknown: z.array(z.string()).optional(),
  unscoped: z.string().optional(),
  summary: z.string(),
})

/** A write tool's answer: the request a manager must decide (the executor builds it). */
export const pendingApprovalSchema = z.object({
  status: z.literal('pending_approval'),
  approvalId: z.number(),
  action: z.string(),
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
  expiresAt: z.string(),
  approvers: z.string(),
})

/**
 * A campaign's audience criteria as results show them (governance's stored audience; a draft's
 * stores carry their city too).
 */
export const audienceCriteriaSchema = storedAudienceSchema.extend({
  stores: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        city: z.string().optional(),
        jurisdiction: z.string(),
      }),
    )
    .optional(),
})
export type PendingApproval = z.infer<typeof pendingApprovalSchema>
