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

type Money = { cents: number; formatted: string }
// biome-ignore lint/suspicious/noExplicitAny: results are JSON read field by field
type Json = any

const fmt = (m: Money | undefined | null) => m?.formatted ?? '$0.00'
const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const n = (x: number) => x.toLocaleString('en-US')
const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : 'never')

const FORMATTERS: Record<string, (d: Json, args: Record<string, unknown>) => string> = {
  get_gift_card: (d) => {
    const lines = [
      `Card ${d.cardId} (…${d.last4}) is ${d.status} with ${fmt(d.balance)} left of ${fmt(d.initialValue)}; issued ${day(d.issuedAt)} at ${d.issuingLocation ?? 'an unknown store'}, last used ${day(d.lastActivityAt)}${d.holder ? `; held by ${d.holder}` : ''}.`,
    ]
    if (d.hold)
      lines.push(
        `On hold since ${day(d.hold.placedAt)} (${fmt(d.hold.amount)} held): ${d.hold.reason}.`,
      )
    if (d.openAlerts?.length)
      lines.push(
        `Open fraud alerts: ${d.openAlerts.map((a: Json) => `#${a.alertId} ${a.rule} (score ${a.score})`).join(', ')}.`,
      )
    else lines.push('No open fraud alerts.')
    if (d.recentTransactions?.length)
      lines.push(
        `Recent: ${d.recentTransactions
          .slice(0, 5)
          .map(
            (t: Json) =>
              `${day(t.at)} ${t.type} ${fmt(t.amount)}${t.result === 'declined' ? ' (declined)' : ''}`,
          )
          .join('; ')}.`,
      )
    return lines.join('\n')
  },
  search_gift_cards: (d) => {
    if (d.total === 0) return 'No cards match.'
    const rows = d.items.map(
      (c: Json) =>
        `• ${c.cardId} (…${c.last4}) ${c.status}, ${fmt(c.balance)}, last used ${day(c.lastActivityAt)}`,
    )
    return [
      `${n(d.total)} cards match${d.total > d.items.length ? `; the first ${d.items.length} by balance` : ''}:`,
      ...rows,
    ].join('\n')
  },
  get_liability: (d) => {
    const head = `Outstanding liability ${d.asOf === 'now' ? 'now' : `at the end of ${d.asOf}`}${d.filter ? ` in ${d.filter}` : ''}: ${fmt(d.total)} on ${n(d.cards)} cards.`
    if (d.groupBy === 'total' || d.filter) return head
    return [
      head,
      ...d.rows
        .slice(0, 15)
        .map((r: Json) => `• ${r.key}: ${fmt(r.liability)} (${n(r.cards)} cards)`),
    ].join('\n')
  },
  forecast_breakage: (d) =>
    [
      `Breakage forecast from ${day(d.asOf)} over ${d.horizonMonths} months (model ${d.modelVersion}, data through ${day(d.dataWatermark)}, forecast #${d.forecastId}):`,
      `• Outstanding ${fmt(d.outstanding)} on ${n(d.openCards)} cards; expected redemptions ${fmt(d.expectedRedemptions)} over the horizon.`,
      `• Expected breakage of outstanding balances: ${pct(d.outstandingBreakageRate)} (${fmt(d.outstandingBreakage)}); ultimate breakage ${pct(d.ultimateBreakageRate)} of value loaded (${fmt(d.ultimateBreakage)}).`,
      `• Next months: ${d.monthly
        .slice(0, 3)
        .map(
          (m: Json) =>
            `${m.month} ${fmt(m.expected)} (80%: ${fmt(m.low)}–${fmt(m.high)}), breakage recognised ${fmt(m.breakageRecognised)}`,
        )
        .join('; ')}.`,
      ...(d.highestRiskCards?.length
        ? [
            `• Most likely never redeemed: ${d.highestRiskCards
              .slice(0, 3)
              .map((c: Json) => `${c.cardId} ${fmt(c.balance)} (${pct(c.neverRedeemed)})`)
              .join(', ')}.`,
          ]
        : []),
    ].join('\n'),
  list_fraud_alerts: (d) => {
    if (d.total === 0) return `No ${d.status} fraud alerts match.`
    const by = Object.entries(d.byRule as Record<string, number>)
      .map(([r, c]) => `${r} ${c}`)
      .join(', ')
    return [
      `${n(d.total)} ${d.status} fraud alerts (${by}). Highest scores:`,
      ...d.items
        .slice(0, 10)
        .map((a: Json) =>
          `• #${a.alertId} ${a.rule} on ${a.cardId}, score ${a.score}, ${day(a.detectedAt)}, ${a.location ?? ''}`.trim(),
        ),
    ].join('\n')
  },
  scan_for_fraud: (d) => {
    const by = Object.entries(d.byRule as Record<string, number>)
      .map(([r, c]) => `${r} ${c}`)
      .join(', ')
    return [
      `Fraud scan since ${day(d.since)}${d.location ? ` for cards from ${d.location}` : ''}: ${n(d.alerts)} alerts${by ? ` (${by})` : ''}, ${n(d.newAlerts)} new.`,
      ...d.top.slice(0, 5).map((a: Json) => `• ${a.rule} on ${a.cardId}, score ${a.score}`),
    ].join('\n')
  },
  explain_fraud_alert: (d) =>
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
                (e: Json) =>
                  `${e.at.slice(0, 16).replace('T', ' ')} ${e.type} ${fmt(e.amount)} at ${e.location ?? '?'}${e.terminal ? `/${e.terminal}` : ''}`,
              )
              .join('; ')}.`,
          ]
        : []),
      'To hold the card, ask me to hold it; a manager must approve.',
    ].join('\n'),
  update_fraud_alert: (d) =>
    d.changed
      ? `Alert #${d.alertId} (${d.rule} on ${d.cardId}) is now ${d.status} (was ${d.previousStatus}).`
      : `Alert #${d.alertId} was already ${d.status}; nothing changed.`,
  segment_purchasers: (d) => {
    const section = (title: string, rows: Json[] | undefined) =>
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
  },
  find_dormant_cards: (d) =>
    [
      `${n(d.dormantCards)} cards have had no activity for ${d.minDays}+ days, holding ${fmt(d.dormantBalance)}. Most likely to come back:`,
      ...d.items
        .slice(0, 10)
        .map(
          (c: Json) =>
            `• ${c.cardId} ${fmt(c.balance)}, idle ${c.daysInactive} days, reactivation ${pct(c.reactivation)}`,
        ),
    ].join('\n'),
  escheatment_report: (d) =>
    [
      `Escheatment within ${d.horizonMonths} months: ${fmt(d.reportable)} reportable.`,
      ...d.jurisdictions.map((j: Json) =>
        j.status === 'exempt'
          ? `• ${j.jurisdiction}: exempt (${j.rule}); ${n(j.cards)} cards, ${fmt(j.amount)}`
          : `• ${j.jurisdiction}: ${n(j.cards)} cards, ${fmt(j.amount)}${j.overdueCards ? `, ${n(j.overdueCards)} overdue` : ''} (${j.rule})`,
      ),
    ].join('\n'),
  product_affinity: (d) =>
    [
      `${d.context === 'redeemed_with' ? 'Bought with gift card redemptions' : 'Bought alongside gift card purchases'} (${n(d.contextOrders)} of ${n(d.orders)} orders), by lift:`,
      ...d.items.map(
        (i: Json) =>
          `• ${i.item}: lift ${i.lift}, confidence ${pct(i.confidence)}, ${n(i.orders)} orders`,
      ),
    ].join('\n'),
  recommend_upsell: (d) =>
    d.recommended
      ? `Offer a ${d.amount} gift card (score ${d.score}): "${d.message}" Because: ${d.reasons.join('; ')}. Logged as prompt #${d.promptId}.`
      : `Don't prompt for a gift card here (score ${d.score}${d.reasons.length ? `; ${d.reasons.join('; ')}` : ''}). Logged as prompt #${d.promptId}.`,
  draft_campaign: (d) =>
    [
      `Drafted campaign #${d.campaignId} "${d.name}": ${d.audience}.`,
      `• ${n(d.targetCount)} cards holding ${fmt(d.targetLiability)}; predicted uptake ${pct(d.predictedUptake)} (about ${n(d.expectedReactivatedCards)} cards).`,
      ...(d.cardsAboveApprovalThreshold
        ? [
            `• ${n(d.cardsAboveApprovalThreshold)} cards hold more than ${fmt(d.approvalThreshold)}.`,
          ]
        : []),
      `Say "launch campaign ${d.campaignId}" to send it for a manager's approval.`,
    ].join('\n'),
  get_audit_log: (d) =>
    [
      ...(d.chain
        ? [
            d.chain.ok
              ? `The audit chain is intact (${n(d.chain.rows)} rows verified).`
              : `The audit chain is BROKEN: ${d.chain.problems.map((p: Json) => `row ${p.id} ${p.problem}`).join('; ')}.`,
          ]
        : []),
      ...(d.rows.length ? [`Latest audit rows:`] : ['No audit rows match.']),
      ...d.rows
        .slice(0, 10)
        .map(
          (r: Json) =>
            `• #${r.id} ${r.at.slice(0, 19).replace('T', ' ')} ${r.actor} (${r.role ?? '?'}, ${r.via}) ${r.action}${r.tool ? ` ${r.tool}` : ''}${r.approvalId ? ` approval #${r.approvalId}` : ''}`,
        ),
    ].join('\n'),
  list_approvals: (d) =>
    d.approvals.length === 0
      ? 'No approval requests match.'
      : [
          'Approval requests:',
          ...d.approvals
            .slice(0, 10)
            .map(
              (a: Json) =>
                `• #${a.approvalId} ${a.status}: ${a.summary} (by ${a.requestedBy}${a.decidedBy ? `; decided by ${a.decidedBy}` : ''})`,
            ),
        ].join('\n'),
}

function pending(d: Json): string {
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
): string {
  const parts = results.map(({ tool, args, content }) => {
    if (!content.ok)
      return errorWords(tool, content.error ?? { code: 'INTERNAL', message: 'unknown error' })
    const data = content.data as Json
    if (data?.status === 'pending_approval') return pending(data)
    const format = FORMATTERS[tool]
    return format ? format(data, args) : JSON.stringify(data)
  })
  if (extra) parts.push(extra)
  if (notes.length > 0)
    parts.push(
      `Not applied — I did not understand or cannot filter on: ${notes.map((n) => `"${n}"`).join(', ')}. The answer above ignores ${notes.length === 1 ? 'it' : 'them'}.`,
    )
  const upTo = results
    .map((r) => (r.content.ok ? (r.content.data as Json)?.ledgerUpTo : undefined))
    .find((x): x is string => typeof x === 'string')
  if (upTo) parts.push(`(Ledger up to ${freshness(upTo)}.)`)
  return parts.join('\n\n')
}
