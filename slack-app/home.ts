import type { WebClient } from '@slack/web-api'
import { z } from 'zod'
import { toIso } from '../core/index.ts'
import type { Actor } from '../governance/index.ts'
import {
  homeContext as context,
  escapeValue as esc,
  homeFields,
  type KnownBlock,
  minuteOf,
  personOf,
  homeSection as section,
} from './blocks.ts'
import type { Face } from './face.ts'

export const HOME_FORECAST_ACTION = 'home_forecast'

/** Forecasts kept for this many people at most. */
const MAX_FORECASTS = 1000

/** The parts of tool results App Home reads, checked as they arrive (a tool may change). */
const Money = z.object({ formatted: z.string().max(40) })
const Liability = z.object({
  total: Money,
  cards: z.number(),
  rows: z.array(z.object({ key: z.string().max(100), liability: Money })).max(100),
  scope: z.object({ summary: z.string().max(1000) }).optional(),
})
const Forecast = z.object({
  horizonMonths: z.number(),
  asOf: z.string().max(30),
  expectedRedemptions: Money,
  outstandingBreakageRate: z.number(),
  outstandingBreakage: Money,
})
const AlertCount = z.object({ total: z.number() })
const Pending = z.object({
  approvals: z
    .array(
      z.object({
        approvalId: z.number(),
        summary: z.string().max(2000),
        requestedBy: z.string().max(200),
        expiresAt: z.string().max(40),
      }),
    )
    .max(100),
})

/**
 * App Home (docs/slack.md#app-home): liability by state, a 12-month breakage forecast, open
 * alerts by severity and pending approvals, each read through the tool executor as the person
 * opening it, so it is role-checked, kept to the pilot and audited like any other read. A part
 * the person may not see, or that fails, says so and the rest is shown.
 */
export function appHome(face: Face) {
  const { app, toolkit } = face
  /**
   * The forecast each person last asked for from Home, kept while the process runs: fitting the
   * run-off model reads the whole ledger (seconds), too slow to redo on every Home open.
   */
  const forecasts = new Map<string, { data?: z.infer<typeof Forecast>; error?: string }>()

  async function read<T>(actor: Actor, tool: string, args: object, schema: z.ZodType<T>) {
    const outcome = await toolkit.executor.call(tool, args, { actor, via: 'slack' })
    if (!outcome.ok) return { error: outcome.error.message }
    const parsed = schema.safeParse(outcome.data)
    return parsed.success ? { data: parsed.data } : { error: `${tool} answered in another shape` }
  }

  async function blocks(actor: Actor): Promise<KnownBlock[]> {
    const [liability, all, high, mediumUp, pending] = await Promise.all([
      read(actor, 'get_liability', { groupBy: 'jurisdiction' }, Liability),
      read(actor, 'list_fraud_alerts', { limit: 1 }, AlertCount),
      read(actor, 'list_fraud_alerts', { minScore: 0.9, limit: 1 }, AlertCount),
      read(actor, 'list_fraud_alerts', { minScore: 0.7, limit: 1 }, AlertCount),
      read(actor, 'list_approvals', { status: 'pending', limit: 10 }, Pending),
    ])
    const forecast = forecasts.get(actor.id)
    const out: KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'Gift card ledger' } },
    ]
    if (liability.data) {
      const l = liability.data
      if (l.scope) out.push(context(`Pilot scope: ${esc(l.scope.summary)}`))
      out.push(
        section(
          `*Outstanding liability*: ${esc(l.total.formatted)} on ${l.cards.toLocaleString('en-US')} cards`,
        ),
        homeFields(
          l.rows.slice(0, 10).map((r) => `*${esc(r.key)}*\n${esc(r.liability.formatted)}`),
        ),
      )
    } else out.push(section(`*Outstanding liability*: not available (${esc(liability.error)})`))
    if (forecast?.data) {
      const f = forecast.data
      out.push(
        section(
          `*Breakage forecast* (${f.horizonMonths} months, as of ${esc(f.asOf)}): ${esc(f.expectedRedemptions.formatted)} expected redemptions; ${(f.outstandingBreakageRate * 100).toFixed(1)}% of outstanding (${esc(f.outstandingBreakage.formatted)}) expected never redeemed`,
        ),
      )
    } else
      out.push(
        section(
          forecast?.error
            ? `*Breakage forecast*: not available (${esc(forecast.error)})`
            : '*Breakage forecast*: fitted on the whole ledger when you ask (a few seconds).',
        ),
      )
    out.push({
      type: 'actions',
      block_id: 'home',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: forecast ? 'Forecast again' : 'Forecast breakage' },
          action_id: HOME_FORECAST_ACTION,
          value: 'forecast',
        },
      ],
    } as unknown as KnownBlock)
    if (all.data && high.data && mediumUp.data)
      out.push(
        section(
          `*Open fraud alerts*: ${high.data.total} high (≥ 0.9), ${mediumUp.data.total - high.data.total} medium, ${all.data.total - mediumUp.data.total} low`,
        ),
      )
    else
      out.push(
        section(
          `*Open fraud alerts*: not available (${esc(all.error ?? high.error ?? mediumUp.error ?? '')})`,
        ),
      )
    if (pending.data) {
      const list = pending.data.approvals
      out.push(section(`*Pending approvals*: ${list.length === 0 ? 'none' : ''}`))
      for (const a of list)
        out.push(
          context(
            `#${a.approvalId} ${esc(a.summary)} (by ${personOf(a.requestedBy)}, expires ${minuteOf(a.expiresAt)})`,
          ),
        )
    } else out.push(section(`*Pending approvals*: not available (${esc(pending.error)})`))
    out.push(context(`Refreshed ${minuteOf(toIso(Date.now()))}`))
    return out.slice(0, 100)
  }

  const publish = async (client: WebClient, user: string) => {
    const actor = await face.actorOf(client, user)
    await client.views.publish({
      user_id: user,
      view: { type: 'home', blocks: await blocks(actor) },
    })
  }

  app.event('app_home_opened', async ({ event, client }) => {
    const tab = (event as { tab?: string }).tab
    if (tab && tab !== 'home') return
    await publish(client, event.user)
  })

  // "Forecast breakage" on Home: the forecast is run through the executor as the person asking.
  app.action(HOME_FORECAST_ACTION, async ({ ack, body, client }) => {
    await ack()
    const user = (body as { user?: { id?: string } }).user?.id
    if (!user) return
    const actor = await face.actorOf(client, user)
    if (forecasts.size >= MAX_FORECASTS) forecasts.clear()
    forecasts.set(
      actor.id,
      await read(actor, 'forecast_breakage', { horizonMonths: 12, topCards: 0 }, Forecast),
    )
    await publish(client, user)
  })
}
