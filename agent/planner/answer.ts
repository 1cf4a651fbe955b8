/**
 * The planner's words: each tool's result turned into a short answer a person can act on. Only
 * figures and ids from the result are used; free text inside data (item names, evidence, notes)
 * is never treated as an instruction.
 */

export type ToolResult = {
  tool: string
  args: Record<string, unknown>
  /** The ToolMessage content: `{ ok, data }` or `{ ok: false, error: { code, message } }`. */
  content: { ok: boolean; data?: unknown; error?: { code: string; message: string } }
}

import type { z } from 'zod'
import { formatCents } from '../../core/index.ts'
import {
  draftCampaign,
  escheatmentReport,
  explainFraudAlert,
  findDormantCards,
  forecastBreakage,
  getAuditLog,
  getFraudCase,
  getGiftCard,
  getLiability,
  ledgerMetrics,
  listApprovals,
  listCampaigns,
  listCardHolds,
  listFraudAlerts,
  type PendingApproval,
  prepareJournalEntries,
  productAffinity,
  type ResultOf,
  recommendUpsell,
  reconcileLedger,
  type SegmentPurchasersResult,
  scanForFraud,
  searchGiftCards,
  segmentPurchasers,
  updateFraudAlert,
} from '../../tools/index.ts'

type Money = { cents: number; formatted: string }
type Args = Record<string, unknown>
/** A tool's words: its result typed by the tool's output schema (docs/tools.md "Typed results"). */
type Formatter = (d: unknown, args: Args) => string

/**
 * The formatter of `tool`, keyed by the tool's own name: `d` is the tool's result type, so a
 * field renamed or dropped in its output schema is a type error here, not "undefined" in a reply.
 */
function format<T extends { name: string; output: z.ZodObject }>(
  tool: T,
  words: (d: ResultOf<T>, args: Args) => string,
): Record<string, Formatter> {
  return { [tool.name]: words as Formatter }
}

const fmt = (m: Money | undefined | null) => m?.formatted ?? '$0.00'
const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const n = (x: number | undefined) => Number(x ?? 0).toLocaleString('en-US')
const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : 'never')
/**
 * A store as people know it: "Brooklyn (loc_010, US-NY)", with its city when the name does not
 * say it ("Union Square, San Francisco (S1, US-CA)").
 */
type Store = { id: string; name: string; city?: string; jurisdiction?: string }
const store = (s: Store | string | null | undefined) =>
  !s
    ? 'an unknown store'
    : typeof s === 'string'
      ? s
      : `${s.name}${s.city && s.city !== 'unknown' && !String(s.name).includes(s.city) ? `, ${s.city}` : ''} (${s.id}${s.jurisdiction ? `, ${s.jurisdiction}` : ''})`
/** A resolved location argument ({ query, stores }) as the stores it meant. */
const places = (l: { stores: Store[] } | undefined) =>
  l ? l.stores.map((s) => store(s)).join(', ') : store(undefined)
const at = (s: Store | null | undefined) => (s ? ` at ${store(s)}` : '')
const asOfWords = (d: { asOf: string }) =>
  d.asOf && d.asOf !== 'now' ? `at the end of ${d.asOf}` : 'now'
/** ", $31.65 a card on average" when there are cards to divide by. */
const average = (total: Money | undefined, cards: number) =>
  total && cards > 0 ? `, ${formatCents(Math.round(total.cents / cards))} a card on average` : ''
const keyWords = (r: { key: string; store?: Store | null }) =>
  r.store ? store(r.store) : String(r.key)

const FORMATTERS: Record<string, Formatter> = {
  ...format(getGiftCard, (d) => {
    const lines = [
      `Card ${d.cardId} (…${d.last4}) is ${d.status} with ${fmt(d.balance)} left of ${fmt(d.initialValue)}; issued ${day(d.issuedAt)}${at(d.store)}, last used ${day(d.lastActivityAt)}${d.holder ? `; belongs to ${d.holder}` : ''}.`,
    ]
    if (d.hold)
      lines.push(
        `On hold since ${day(d.hold.placedAt)} (${fmt(d.hold.amount)} held): ${d.hold.reason ?? 'no reason given'}.`,
      )
    if (d.openAlerts?.length)
      lines.push(
        `Open fraud alerts: ${d.openAlerts.map((a) => `#${a.alertId} ${a.rule} (score ${a.score})`).join(', ')}.`,
      )
    else lines.push('No open fraud alerts.')
    if (d.recentTransactions?.length)
      lines.push(
        `Recent: ${d.recentTransactions
          .slice(0, 10)
          .map(
            (t) =>
              `${day(t.at)} ${t.type} ${fmt(t.amount)}${t.store ? ` at ${t.store.name ?? t.store}` : ''}${t.result === 'declined' ? ' (declined)' : ''}`,
          )
          .join('; ')}.`,
      )
    return lines.join('\n')
  }),
  ...format(searchGiftCards, (d) => {
    if (d.total === 0) return 'No cards match.'
    const rows = d.items.map((c) =>
      `• ${c.cardId} (…${c.last4}) ${c.status}, ${fmt(c.balance)}, ${c.store?.name ?? ''} last used ${day(c.lastActivityAt)}`.replace(
        '  ',
        ' ',
      ),
    )
    return [
      `${n(d.total)} cards match${d.total > d.items.length ? `; the first ${d.items.length}` : ''}:`,
      ...rows,
    ].join('\n')
  }),
  ...format(getLiability, (d) => {
    const head = `Outstanding liability ${asOfWords(d)}: ${fmt(d.total)} on ${n(d.cards)} cards.`
    if (d.groupBy === 'total') return head
    // Stores whose state is not known yet: said, with how to load them (docs/ingest.md).
    const unknown = d.unknownJurisdiction?.note ? [`Note: ${d.unknownJurisdiction.note}.`] : []
    return [
      head,
      ...d.rows
        .slice(0, 20)
        .map((r) => `• ${keyWords(r)}: ${fmt(r.liability)} (${n(r.cards)} cards)`),
      ...(d.otherRows ? [`• the other ${n(d.otherRows.rows)}: ${fmt(d.otherRows.liability)}`] : []),
      ...unknown,
    ].join('\n')
  }),
  ...format(forecastBreakage, (d) =>
    [
      `Breakage forecast from ${day(d.asOf)} over ${d.horizonMonths} months (model ${d.modelVersion}${d.saved ? `, saved as forecast #${d.forecastId}` : ', not saved'}):`,
      `• Outstanding ${fmt(d.outstanding)} on ${n(d.openCards)} cards; expected redemptions ${fmt(d.expectedRedemptions)} over the horizon.`,
      // The forecast's ultimate breakage is the expected breakage of what is outstanding (one
      // figure): said once, as a share of the balances and of all value ever loaded.
      `• Expected breakage: ${fmt(d.outstandingBreakage)}, ${pct(d.outstandingBreakageRate)} of outstanding balances (${pct(d.ultimateBreakageRate)} of all value loaded).`,
      ...(d.period
        ? [
            `• ${d.period.from} to ${d.period.to}: expected redemptions ${fmt(d.period.expectedRedemptions)}, breakage recognised ${fmt(d.period.breakageRecognised)}.`,
          ]
        : [
            `• Next months: ${d.monthly
              .slice(0, 3)
              .map((m) => `${m.month} ${fmt(m.expected)} (80%: ${fmt(m.low)}–${fmt(m.high)})`)
              .join('; ')}.`,
          ]),
      ...(d.groups?.length
        ? [
            `• By ${d.groupBy}: ${d.groups
              .slice(0, 12)
              .map((g) => `${g.key} ${fmt(g.outstanding)} outstanding, breakage ${fmt(g.breakage)}`)
              .join('; ')}.`,
          ]
        : []),
      ...(d.highestRiskCards?.length
        ? [
            `• Most likely never redeemed: ${d.highestRiskCards
              .slice(0, 3)
              .map((c) => `${c.cardId} ${fmt(c.balance)} (${pct(c.neverRedeemed)})`)
              .join(', ')}.`,
          ]
        : []),
    ].join('\n'),
  ),
  ...format(listFraudAlerts, (d, args) => {
    if (d.countBy)
      return [
        `${n(d.alerts)} ${d.status ?? ''} fraud alert${d.alerts === 1 ? '' : 's'} by ${d.countBy}:`.replace(
          '  ',
          ' ',
        ),
        ...d.items
          .filter((i) => 'alerts' in i)
          .slice(0, 20)
          .map((i) => `• ${i.store ? store(i.store) : i.key}: ${n(i.alerts)}`),
      ].join('\n')
    if (d.total === 0)
      return `No ${d.status ?? ''} ${args.rule ? `${String(args.rule)} ` : ''}fraud alerts match.`.replace(
        '  ',
        ' ',
      )
    const by = Object.entries((d.byRule ?? {}) as Record<string, number>)
      .map(([r, c]) => `${r} ${c}`)
      .join(', ')
    return [
      `${n(d.total)} ${d.status ?? ''} fraud alert${d.total === 1 ? '' : 's'}${by ? ` (${by})` : ''}. Highest scores:`.replace(
        '  ',
        ' ',
      ),
      ...d.items
        .filter((a) => 'alertId' in a)
        .slice(0, 10)
        .map(
          (a) =>
            `• #${a.alertId} ${a.rule} on ${a.cardId}, score ${a.score}, ${day(a.detectedAt)}${a.store ? `, ${store(a.store)}` : ''}`,
        ),
    ].join('\n')
  }),
  ...format(scanForFraud, (d) => {
    const by = Object.entries((d.byRule ?? {}) as Record<string, number>)
      .map(([r, c]) => `${r} ${c}`)
      .join(', ')
    return [
      `Fraud scan since ${day(d.since)}${d.location ? ` for cards from ${places(d.location)}` : ''}: ${n(d.alerts)} alerts${by ? ` (${by})` : ''}, ${n(d.newAlerts)} new.`,
      ...(d.top ?? []).slice(0, 5).map((a) => `• ${a.rule} on ${a.cardId}, score ${a.score}`),
    ].join('\n')
  }),
  ...format(getFraudCase, (d) => {
    const a = d.alert
    const c = d.card
    const lines = [
      `Case file of alert #${a.alertId} (${String(a.rule).replaceAll('_', ' ')}, score ${a.score}, ${a.status}): card ${c.cardId} (…${c.last4}), ${c.status}, balance ${fmt(c.balance)}${at(c.store)}.`,
      ...(a.reason ? [`Reason: ${a.reason}`] : []),
      ...(a.note ? [`Note: ${a.note}`] : []),
      `Timeline: ${n(d.timeline?.length ?? 0)} events${d.timelineTruncated ? ' (the first shown)' : ''}; triggering:`,
      ...(d.timeline ?? [])
        .filter((e) => e.triggering)
        .slice(0, 8)
        .map(
          (e) =>
            `• ${day(e.at)} ${e.type} ${fmt(e.amount)}${at(e.store)}${e.terminal ? ` on ${e.terminal}` : ''}`,
        ),
      d.related?.length
        ? `Related cards: ${d.related
            .slice(0, 8)
            .map(
              (r) =>
                `${r.cardId} (${r.via.map((v) => `${v.kind} ${v.key}`).join(', ')}${r.openAlerts ? `, ${r.openAlerts} open alert${r.openAlerts === 1 ? '' : 's'}` : ''})`,
            )
            .join('; ')}.`
        : 'No related cards through a shared customer, order, terminal or employee.',
      ...(d.holds ?? []).map(
        (h) =>
          `Hold #${h.holdId} ${h.status}, ${fmt(h.amountHeld)}${h.reason ? `: "${h.reason}"` : ''}.`,
      ),
      ...(d.pendingApprovals ?? []).map(
        (p) => `Approval #${p.approvalId} pending: ${String(p.action).replaceAll('_', ' ')}.`,
      ),
    ]
    return lines.join('\n')
  }),
  ...format(explainFraudAlert, (d) =>
    [
      `Alert #${d.alertId} (${d.rule}, score ${d.score}, ${d.status}) on card ${d.cardId}, detected ${day(d.detectedAt)}.`,
      ...(d.reason ? [`Detector's reason: ${d.reason}`] : []),
      ...(Object.keys(d.figures ?? {}).length
        ? [
            `Figures: ${Object.entries(d.figures)
              .map(([k, v]) => `${k} ${String(v)}`)
              .join(', ')}.`,
          ]
        : []),
      ...(d.triggeringEvents?.length
        ? [
            `Triggering transactions: ${d.triggeringEvents
              .slice(0, 8)
              .map(
                (e) =>
                  `${e.at.slice(0, 16).replace('T', ' ')} ${e.type} ${fmt(e.amount)} at ${e.store?.name ?? '?'}${e.terminal ? `/${e.terminal}` : ''}`,
              )
              .join('; ')}.`,
          ]
        : []),
      'To hold the card, ask me to hold it; a manager must approve.',
    ].join('\n'),
  ),
  ...format(updateFraudAlert, (d) =>
    d.changed
      ? `Alert #${d.alertId} (${d.rule} on ${d.cardId}) is now ${d.status} (was ${d.previousStatus})${d.note ? `, noted: "${d.note}"` : ''}.`
      : `Alert #${d.alertId} was already ${d.status}; nothing changed.`,
  ),
  ...format(segmentPurchasers, (d) => {
    const section = (title: string, rows: SegmentPurchasersResult['byOccasion']) =>
      rows
        ? [
            title,
            ...rows.map(
              (r) =>
                `• ${r.segment}: ${n(r.purchasers)} purchasers, ${n(r.cards)} cards, liability ${fmt(r.liability)}, average balance ${fmt(r.averageBalance)}`,
            ),
          ]
        : []
    return [
      ...section('Purchasers by occasion:', d.byOccasion),
      ...section('By redemption behaviour:', d.byBehaviour),
    ].join('\n')
  }),
  ...format(findDormantCards, (d) =>
    [
      `${n(d.dormantCards)} cards have had no activity ${d.idleSince ? `since ${d.idleSince}` : `for ${d.minDays}+ days`}, holding ${fmt(d.dormantBalance)}${average(d.dormantBalance, d.dormantCards)}${d.asOf ? ` (as of ${d.asOf})` : ''}:`,
      ...d.items
        .slice(0, 10)
        .map(
          (c) =>
            `• ${c.cardId} ${fmt(c.balance)}${c.store ? `, ${c.store.name}` : ''}, idle ${c.daysInactive} days, reactivation ${pct(c.reactivation)}`,
        ),
    ].join('\n'),
  ),
  ...format(escheatmentReport, (d) =>
    [
      `Escheatment within ${d.horizonMonths} months: ${fmt(d.reportable)} reportable.`,
      ...d.jurisdictions.map((j) =>
        j.status === 'exempt'
          ? `• ${j.jurisdiction}: exempt (${j.rule}); ${n(j.cards)} cards, ${fmt(j.amount)}`
          : `• ${j.jurisdiction}: ${n(j.cards)} cards, ${fmt(j.amount)}${j.overdueCards ? `, ${n(j.overdueCards)} overdue` : ''} (${j.rule})`,
      ),
      ...[d.unknownJurisdiction?.note, d.ownerAddressUnknown?.note]
        .filter((note): note is string => Boolean(note))
        .map((note) => `Note: ${note}.`),
    ].join('\n'),
  ),
  ...format(productAffinity, (d) =>
    [
      `${d.context === 'redeemed_with' ? 'Bought with gift card redemptions' : 'Bought alongside gift card purchases'} (${n(d.contextOrders)} of ${n(d.orders)} orders), by lift:`,
      ...d.items.map(
        (i) =>
          `• ${i.item}: lift ${i.lift}, confidence ${pct(i.confidence)}, ${n(i.orders)} orders`,
      ),
    ].join('\n'),
  ),
  ...format(recommendUpsell, (d) => {
    const logged = d.promptId
      ? ` Logged as prompt #${d.promptId}.`
      : ' A preview: nothing was logged.'
    return d.recommended
      ? `Offer a ${d.amount} gift card (score ${d.score}): "${d.message}" Because: ${d.reasons.join('; ')}.${logged}`
      : `Don't prompt for a gift card here (score ${d.score}${d.reasons.length ? `; ${d.reasons.join('; ')}` : ''}).${logged}`
  }),
  ...format(draftCampaign, (d) =>
    [
      `Drafted campaign #${d.campaignId} "${d.name}": ${d.audience}${d.offer ? `; offer: "${d.offer}"` : ''}.`,
      `• ${n(d.targetCount)} cards holding ${fmt(d.targetLiability)}; predicted uptake ${pct(d.predictedUptake)} (about ${n(d.expectedReactivatedCards)} cards).`,
      ...(d.cardsAboveApprovalThreshold
        ? [
            `• ${n(d.cardsAboveApprovalThreshold)} cards hold more than ${fmt(d.approvalThreshold)}.`,
          ]
        : []),
      `Nothing is sent. Say "launch campaign ${d.campaignId}" to send it for a manager's approval.`,
    ].join('\n'),
  ),
  ...format(getAuditLog, (d) =>
    [
      ...(d.chain
        ? [
            d.chain.ok
              ? `The audit chain is intact (${n(d.chain.rows)} rows verified).`
              : `The audit chain is BROKEN: ${d.chain.problems.map((p) => (p.id === null ? p.problem : `row ${p.id} ${p.problem}`)).join('; ')}.`,
          ]
        : []),
      ...(d.rows.length ? ['Latest audit rows:'] : ['No audit rows match.']),
      ...d.rows
        .slice(0, 10)
        .map(
          (r) =>
            `• #${r.id} ${r.at.slice(0, 19).replace('T', ' ')} ${r.actor} (${r.role ?? '?'}, ${r.via}) ${r.action}${r.tool ? ` ${r.tool}` : ''}${r.approvalId ? ` approval #${r.approvalId}` : ''}`,
        ),
    ].join('\n'),
  ),
  ...format(listApprovals, (d) =>
    d.approvals.length === 0
      ? 'No approval requests match.'
      : [
          'Approval requests:',
          ...d.approvals
            .slice(0, 10)
            .map(
              (a) =>
                `• #${a.approvalId} ${a.status}: ${a.summary} (by ${a.requestedBy}${a.decidedBy ? `; decided by ${a.decidedBy}${a.decisionReason ? `: "${a.decisionReason}"` : ''}` : ''})`,
            ),
        ].join('\n'),
  ),
  ...format(listCardHolds, (d, args) => {
    const counts = `${n(d.activeHolds)} active and ${n(d.releasedHolds)} released holds${args.card ? ` on card ${args.card}` : ''}`
    if (!d.items?.length)
      return args.card ? `No holds on card ${args.card}.` : `No holds match (${counts}).`
    return [
      `${counts}:`,
      ...d.items
        .slice(0, 10)
        .map(
          (h) =>
            `• Hold #${h.holdId} on ${h.cardId} (…${h.last4})${h.store ? `, ${h.store.name}` : ''}: ${h.status}, placed ${day(h.placedAt)} — requested by ${h.requestedBy}, approved by ${h.approvedBy ?? '?'}; reason: ${h.reason ? `"${h.reason}"` : 'no reason given'}${h.status === 'released' ? `; released ${day(h.releasedAt)} by ${h.releasedBy ?? '?'}${h.releaseReason ? ` ("${h.releaseReason}")` : ''}` : ''}.`,
        ),
    ].join('\n')
  }),
  ...format(listCampaigns, (d) =>
    !d.items?.length
      ? 'No campaigns match.'
      : [
          'Campaigns:',
          ...d.items
            .slice(0, 10)
            .map(
              (c) =>
                `• #${c.campaignId} "${c.name}" ${c.status}: ${c.audience}; ${n(c.targetCount)} cards, ${fmt(c.targetLiability)} (by ${c.createdBy}${c.launchedAt ? `, launched ${day(c.launchedAt)}` : ''})`,
            ),
        ].join('\n'),
  ),
  ...format(prepareJournalEntries, (d) =>
    [
      d.entries.length === 0
        ? `No journal entries for ${d.month}: nothing to recognise or reclassify.`
        : `Journal entries for ${d.month} (${d.method.estimator.name}, ${d.method.estimator.modelVersion}):`,
      ...d.entries.map(
        (e) =>
          `• ${e.externalId} ${e.kind.replace('_', '-')}: ${fmt(e.total)} over ${e.lines.length + (e.moreLines ?? 0)} lines`,
      ),
      ...d.owedToStates
        .filter((s) => s.due.cents > 0 || s.expectedToEscheat.cents > 0)
        .slice(0, 10)
        .map(
          (s) =>
            `• owed to ${s.jurisdiction}: ${fmt(s.due)} past deadline, ${fmt(s.expectedToEscheat)} expected to escheat (never breakage)`,
        ),
      'Nothing is posted. Say "post the journal entries" to send them for a manager\'s approval.',
    ].join('\n'),
  ),
  ...format(reconcileLedger, (d) => {
    const lines = [
      d.cardsChecked === 0
        ? `No cards${d.source ? ` from ${d.source}` : ''} to check: no balance drift.`
        : d.drifting === 0
          ? `All ${n(d.cardsChecked)} cards checked agree with their events: no balance drift.`
          : `${n(d.drifting)} of ${n(d.cardsChecked)} cards hold a balance their events do not add up to (net ${fmt(d.totalDrift)}):`,
      ...(d.cards ?? [])
        .slice(0, 10)
        .map(
          (c) =>
            `• ${c.cardId} (…${c.last4})${at(c.store)}: balance ${fmt(c.balance)}, events ${fmt(c.eventsSum)}, drift ${fmt(c.drift)}`,
        ),
    ]
    const a = d.balanceReadAdjustments
    if (a?.count)
      lines.push(
        `${n(a.count)} balance-read adjustments since ${day(a.since)} (${fmt(a.total)}): balances that moved at the POS with no event.`,
      )
    if (d.freshness?.warning) lines.push(`Warning: ${d.freshness.warning}.`)
    return lines.join('\n')
  }),
  ...format(ledgerMetrics, (d, args) => {
    const label = String(d.metric).replaceAll('_', ' ')
    const span =
      d.from && d.from === d.to
        ? ` on ${d.from}`
        : d.from || d.to
          ? ` from ${d.from ?? 'the start'} to ${d.to ?? 'now'}`
          : ''
    const where = [
      d.location?.stores ? `at ${places(d.location)}` : '',
      args.jurisdiction ? `in ${String(args.jurisdiction)}` : '',
      args.occasion ? `${String(args.occasion)} cards` : '',
      args.channel ? `${String(args.channel)} channel` : '',
      args.status ? `${String(args.status)}` : '',
    ]
      .filter(Boolean)
      .join(', ')
    const rows = d.rows
    const countWord = d.measures?.count
      ? ` ${d.total?.count === 1 && d.measures.one ? d.measures.one : d.measures.count}`
      : ''
    const amountWord = d.measures?.amount ? ` ${d.measures.amount}` : ''
    type Row = (typeof rows)[number]
    const keyOf = (r: Row) =>
      d.by
        .map((k) => (k === 'location' && r.store ? r.store.name : String(r[k] ?? 'unknown')))
        .join(' · ')
    // Holds, approvals and alerts are counts; an amount is shown only where the metric has one.
    const money = !/^none\b/.test(String(d.measures?.amount ?? ''))
    const line = (r: Row) =>
      `• ${keyOf(r) || 'all'}: ${n(r.count)}${money && r.amount ? ` (${fmt(r.amount)})` : ''}`
    const title = `${label[0]?.toUpperCase()}${label.slice(1)}${where ? ` ${where}` : ''}${span}`
    const head = d.total
      ? `${title}: ${n(d.total.count)}${countWord}${money && d.total.amount ? `, ${fmt(d.total.amount)}${amountWord}` : ''}.`
      : `${title}:`
    const out = [head]
    if ((d.by ?? []).length) out.push(...rows.slice(0, 24).map(line))
    if (rows.some((r) => keyOf(r).includes('unknown')))
      out.push('(“unknown”: events the ledger has no store or card attribute for.)')
    if (rows.length > 24)
      out.push(`…and ${n(rows.length - 24)} more rows${d.csv ? ' (all in the CSV)' : ''}.`)
    if (d.csv) out.push(`CSV:\n${String(d.csv).split('\n').slice(0, 30).join('\n')}`)
    return out.join('\n')
  }),
}

function pending(d: PendingApproval): string {
  return `I've filed approval request #${d.approvalId}: ${d.summary}. It waits for ${d.approvers}; it expires ${d.expiresAt.slice(0, 16).replace('T', ' ')} UTC. Nothing changes until it is approved.`
}

/** "2026-11-30T23:38:52Z" → "30 Nov 23:38 UTC": how fresh the ledger behind an answer is. */
export function freshness(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' })
  return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()} ${iso.slice(11, 16)} UTC`
}

function errorWords(tool: string, e: { code: string; message: string }): string {
  if (e.code === 'FORBIDDEN') return `I can't do that: ${e.message}.`
  if (e.code === 'CONFLICT' && /ask which card/.test(e.message))
    return `${e.message.replace(/; ask which card is meant, by its id$/, '')}. Which card do you mean?`
  return `I couldn't ${tool.replaceAll('_', ' ')}: ${e.message}.`
}

/**
 * The reply for a turn's tool results: each result in words, then what the request said that
 * the calls did not apply (`notes`, quoted as the person wrote it), then how fresh the ledger is.
 */
export function composeAnswer(
  results: readonly ToolResult[],
  notes: readonly string[] = [],
  extra?: string,
  remarks: readonly string[] = [],
): string {
  const parts = results.map(({ tool, args, content }) => {
    if (!content.ok)
      return errorWords(tool, content.error ?? { code: 'INTERNAL', message: 'unknown error' })
    const data = content.data as { status?: unknown } | null
    if (data?.status === 'pending_approval') return pending(data as PendingApproval)
    const format = FORMATTERS[tool]
    return format ? format(data, args) : JSON.stringify(data)
  })
  if (extra) parts.push(extra)
  if (notes.length > 0)
    parts.push(
      `Not applied — I did not understand or cannot filter on: ${notes.map((n) => `"${n}"`).join(', ')}. The answer above ignores ${notes.length === 1 ? 'it' : 'them'}.`,
    )
  parts.push(...remarks)
  const upTo = results
    .map((r) =>
      r.content.ok ? (r.content.data as { ledgerUpTo?: unknown } | null)?.ledgerUpTo : undefined,
    )
    .find((x): x is string => typeof x === 'string')
  if (upTo) parts.push(`(Ledger up to ${freshness(upTo)}.)`)
  // Under a pilot every result says which stores it covers (docs/pilot.md).
  const pilot = results
    .map((r) =>
      r.content.ok
        ? (r.content.data as { scope?: { summary?: unknown } } | null)?.scope?.summary
        : undefined,
    )
    .find((x): x is string => typeof x === 'string')
  if (pilot) parts.push(`Pilot scope: ${pilot}.`)
  return parts.join('\n\n')
}
