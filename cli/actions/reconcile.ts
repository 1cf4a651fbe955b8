import { writeFile } from 'node:fs/promises'
import { z } from 'zod'
import {
  createLogger,
  csvRow,
  EVENT_SOURCES,
  formatCents,
  GiftCardError,
} from '../../core/index.ts'
import {
  type BalanceDifference,
  CloverClient,
  type EventDifference,
  loadCloverCards,
  RECONCILE_FORMATS,
  type ReconcileReport,
  reconcileCloverBalances,
  reconcileFile,
  type StoreRef,
} from '../../ingest/index.ts'
import { answerFreshness } from '../../tools/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'

const reconcileOptions = z.object({
  format: z
    .enum(RECONCILE_FORMATS, { error: `must be ${RECONCILE_FORMATS.join(', ')}` })
    .optional(),
  matchSource: z
    .enum(EVENT_SOURCES, { error: `must be one of ${EVENT_SOURCES.join(', ')}` })
    .optional(),
  cardsInFile: z.boolean().default(false),
  source: z
    .enum(['clover'], { error: 'must be clover (the POS whose balances can be read)' })
    .optional(),
  limit: intOption(0, 10_000).default(20),
  out: z.string().min(1).max(4096).optional(),
  json: z.boolean().default(false),
})

export async function runReconcile(
  ctx: () => CliContext,
  file: string | undefined,
  raw: Flags,
): Promise<void> {
  const options = parseOptions(reconcileOptions, raw)
  if ((file === undefined) === (options.source === undefined))
    throw new GiftCardError('INVALID_INPUT', 'give a FILE or --source clover, one of the two')
  const context = ctx()
  const { clover } = context.config
  if (options.source && (Object.keys(clover.merchants).length === 0 || !clover.giftCardsFile))
    throw new GiftCardError(
      'CONFIG_INVALID',
      'CLOVER_MERCHANTS and CLOVER_GIFT_CARDS_FILE must be set to read balances from Clover',
    )
  const { report, freshness } = await withDatabase(context, async (database) => ({
    report:
      file !== undefined
        ? await reconcileFile(database, file, {
            ...(options.format ? { format: options.format } : {}),
            ...(options.matchSource ? { source: options.matchSource } : {}),
            cardsInFile: options.cardsInFile,
            maxEventCents: context.config.ingest.maxEventCents,
          })
        : await reconcileCloverBalances(database, {
            client: new CloverClient({
              ...clover,
              logger: createLogger(context.config.logLevel),
            }),
            cards: loadCloverCards(clover.giftCardsFile as string),
            currency: clover.currency,
          }),
    freshness: await answerFreshness({ database, config: context.config }),
  }))
  // An empty file agrees with nothing: it is bad input, not "no difference".
  if (file !== undefined && report.rows === 0 && report.badRowCount === 0)
    throw new GiftCardError('INVALID_INPUT', `${file} has no rows: there is nothing to compare`)
  if (options.out) await writeFile(options.out, differencesCsv(report))
  if (options.json) console.log(JSON.stringify({ ...report, freshness }, null, 2))
  else {
    for (const row of report.badRows.slice(0, 200))
      console.error(
        file !== undefined ? `${file}:${row.line}: ${row.reason}` : `not read: ${row.reason}`,
      )
    console.log(describeReconcile(report, options.limit, freshness.warning))
  }
  process.exitCode = report.badRowCount > 0 ? 2 : report.equal ? 0 : 1
}

const dollars = (cents: number) => (cents > 0 ? `+${formatCents(cents)}` : formatCents(cents))
const storeText = (store: StoreRef | null) =>
  store ? `${store.name} (${store.id})` : 'store unknown'

/** The summary a person reads: counts, the net difference, the first `limit` of each kind. */
export function describeReconcile(
  report: ReconcileReport,
  limit: number,
  warning?: string,
): string {
  const n = (x: number) => x.toLocaleString('en-US')
  const what = `${report.path} (${report.format}${report.source ? `, events matched as ${report.source}` : ''})`
  if (report.badRowCount > 0)
    return [
      report.format === 'clover-api'
        ? `Cannot reconcile ${what}: ${n(report.badRowCount)} of ${n(report.rows)} cards' balances could not be read (listed on stderr); nothing was compared.`
        : `Cannot reconcile ${what}: ${n(report.badRowCount)} of ${n(report.rows)} rows cannot be read (listed by line on stderr); nothing was compared.`,
      report.format === 'clover-api'
        ? 'Fix those cards or tokens and run it again.'
        : 'Fix those rows and run it again.',
    ].join('\n')
  const lines = [
    `Reconciled ${what} with the ledger: ${n(report.rows)} rows, ${n(report.events)} events, ${n(report.cardsCompared)} card balances compared${report.window ? `, events from ${report.window.from} to ${report.window.to}` : ''}`,
  ]
  const { counts } = report
  if (report.equal) lines.push('  no difference: the file and the ledger agree')
  else
    lines.push(
      `  ${n(counts.balances)} card balance${counts.balances === 1 ? ' differs' : 's differ'}, ${n(counts.missingFromLedger)} event${counts.missingFromLedger === 1 ? '' : 's'} missing from the ledger, ${n(counts.onlyInLedger)} only in the ledger`,
      `  net difference (file − ledger): ${dollars(report.netDifferenceCents)}`,
    )
  const section = <T>(title: string, items: T[], total: number, line: (item: T) => string) => {
    if (total === 0 || limit === 0) return
    lines.push(
      `${title} (${n(total)}${total > limit ? `, first ${n(Math.min(limit, items.length))}` : ''}):`,
    )
    for (const item of items.slice(0, limit)) lines.push(`  ${line(item)}`)
  }
  section('Cards whose balance differs', report.balances, counts.balances, balanceLine)
  section(
    'Events missing from the ledger',
    report.missingFromLedger,
    counts.missingFromLedger,
    eventLine,
  )
  section('Events only in the ledger', report.onlyInLedger, counts.onlyInLedger, eventLine)
  if (warning) lines.push(`Warning: ${warning}`)
  return lines.join('\n')
}

function balanceLine(b: BalanceDifference): string {
  const card = b.cardId ?? `card ending ${b.last4}`
  const ledger =
    b.ledgerCents === null ? 'not in the ledger' : `ledger ${formatCents(b.ledgerCents)}`
  const explained =
    b.explainedCents !== 0
      ? b.explainedCents === b.differenceCents
        ? ', all of it by the events below'
        : `, ${dollars(b.explainedCents)} of it by the events below`
      : ''
  return `${card}${b.last4 && b.cardId ? ` (…${b.last4})` : ''}, ${storeText(b.store)}: file ${formatCents(b.fileCents)}, ${ledger}, ${dollars(b.differenceCents)}${explained} (as of ${b.asOf ?? 'now'}${b.line > 0 ? `, line ${b.line}` : ''})`
}

function eventLine(e: EventDifference): string {
  return `${e.eventId} ${e.occurredAt} ${e.type} ${formatCents(e.amountCents)} on ${e.cardId ?? 'no card'} at ${storeText(e.store)}${e.line !== undefined ? ` (line ${e.line})` : ''}`
}

const CSV_COLUMNS = [
  'kind',
  'card_id',
  'last4',
  'event_id',
  'source',
  'type',
  'occurred_at',
  'as_of',
  'file_cents',
  'ledger_cents',
  'difference_cents',
  'explained_cents',
  'amount_cents',
  'store_id',
  'store_name',
  'line',
] as const

/** Every difference kept, one CSV row each (RFC 4180, formulas neutralised: core/csv.ts). */
export function differencesCsv(report: ReconcileReport): string {
  const row = (values: Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>) =>
    csvRow(CSV_COLUMNS.map((c) => values[c]))
  const lines = [csvRow(CSV_COLUMNS)]
  for (const b of report.balances)
    lines.push(
      row({
        kind: 'balance',
        card_id: b.cardId,
        last4: b.last4,
        as_of: b.asOf,
        file_cents: b.fileCents,
        ledger_cents: b.ledgerCents,
        difference_cents: b.differenceCents,
        explained_cents: b.explainedCents,
        store_id: b.store?.id ?? null,
        store_name: b.store?.name ?? null,
        line: b.line,
      }),
    )
  const event = (kind: string, e: EventDifference) =>
    row({
      kind,
      card_id: e.cardId,
      event_id: e.eventId,
      source: e.source,
      type: e.type,
      occurred_at: e.occurredAt,
      amount_cents: e.amountCents,
      store_id: e.store?.id ?? null,
      store_name: e.store?.name ?? null,
      line: e.line ?? null,
    })
  for (const e of report.missingFromLedger) lines.push(event('missing_from_ledger', e))
  for (const e of report.onlyInLedger) lines.push(event('only_in_ledger', e))
  return `${lines.join('\r\n')}\r\n`
}
