import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type CardEvent,
  isGiftCardError,
  Rng,
  signedAmount,
  type TransactionType,
} from '../../core/index.ts'
import { type Database, liabilityAsOf } from '../../db/index.ts'
import { applyBatch, type CardSnapshot, importFile, type Normalized } from '../../ingest/index.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/**
 * The differential test of the ledger write path (issue 17 item 6): one seeded stream of
 * deliveries (through `applyBatch`, a transaction each) and of export files (through
 * `importFile`: the deferred writer on SQLite, careful re-reads, repeats) gives the figures
 * captured from the write path as it was before it was split into a pure core and its writers
 * (test/fixtures/write-path-golden.json): every card's state, and digests of the ledger, the
 * daily rollup, the voids, alerts, stubs and order items, and the outcome of each batch and
 * import. `GOLDEN_WRITE=1` writes the file instead (only ever from the old path).
 */

const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'write-path-golden.json')
const dir = mkdtempSync(join(tmpdir(), 'giftcards-golden-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const DAY = 86_400_000
const START = Date.parse('2025-01-06T09:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

type Card = { id: string; balance: number; at: number; events: CardEvent[]; reports: boolean }

/**
 * Webhook-like deliveries for `cards` cards, one to four events each: every rule of the ledger
 * meets its case (activation, loads, redemptions beyond the balance, refunds, adjustments,
 * holds and redemptions under them, clears and deactivations with the POS's balance, balance
 * checks, voids of earlier events and of events of the same batch, duplicates in a batch and
 * across batches, events dated days before the card's newest, snapshots of card state).
 */
function deliveries(seed: number, cards: number): Normalized[] {
  const rng = new Rng(seed)
  const open: Card[] = []
  const batches: Normalized[] = []
  let n = 0
  const event = (
    card: Card,
    type: TransactionType,
    cents: number,
    at: number,
    extra: Partial<CardEvent> = {},
  ): CardEvent => ({
    source: 'generic',
    eventId: `g-${++n}`,
    cardRef: card.id,
    type,
    amountCents: signedAmount(type, cents),
    currency: 'USD',
    occurredAt: iso(at),
    ...(rng.chance(0.8) ? { locationId: `L${rng.int(1, 5)}` } : {}),
    ...extra,
  })
  for (let b = 0; b < cards * 6; b++) {
    const events: CardEvent[] = []
    const snapshots: CardSnapshot[] = []
    const size = rng.int(1, 4)
    for (let i = 0; i < size; i++) {
      const roll = rng.next()
      if (open.length < cards && (open.length === 0 || roll < 0.2)) {
        const card: Card = {
          id: `gc-${open.length + 1}`,
          balance: rng.int(10, 200) * 100,
          at: START + rng.int(0, 30) * DAY + rng.int(0, 36_000_000),
          events: [],
          reports: rng.chance(0.3),
        }
        const e = event(card, 'activate', card.balance, card.at, {
          ...(rng.chance(0.5) ? { customerId: `C${rng.int(1, 20)}` } : {}),
          ...(card.reports ? { balanceAfterCents: card.balance } : {}),
        })
        card.events.push(e)
        open.push(card)
        events.push(e)
        continue
      }
      const card = rng.pick(open)
      // Mostly forward in time, sometimes days before the card's newest event (late).
      const late = rng.chance(0.08)
      const at = late ? card.at - rng.int(2, 9) * DAY : card.at + rng.int(1, 4) * DAY
      if (!late) card.at = at
      const kind = rng.next()
      let e: CardEvent
      if (kind < 0.3) {
        const cents = rng.chance(0.1) ? card.balance + 500 : rng.int(1, Math.max(1, card.balance))
        const orderId = `o-${n + 1}`
        e = event(card, 'redeem', cents, at, {
          orderId,
          items: [{ sku: `SKU-${rng.int(1, 9)}`, category: 'apparel', amountCents: cents }],
          ...(card.reports ? { balanceAfterCents: Math.max(0, card.balance - cents) } : {}),
        })
        if (cents <= card.balance || card.reports) card.balance = Math.max(0, card.balance - cents)
      } else if (kind < 0.45) {
        const cents = rng.int(5, 50) * 100
        card.balance += cents
        e = event(card, 'load', cents, at, {
          ...(card.reports ? { balanceAfterCents: card.balance } : {}),
        })
      } else if (kind < 0.52) {
        const cents = rng.int(1, 20) * 100
        card.balance += cents
        e = event(card, 'refund', cents, at)
      } else if (kind < 0.56) {
        e = event(card, rng.chance(0.5) ? 'adjust_up' : 'adjust_down', rng.int(1, 5) * 100, at)
      } else if (kind < 0.62) {
        e = event(card, 'block', 0, at)
      } else if (kind < 0.66) {
        e = event(card, 'unblock', 0, at)
      } else if (kind < 0.7) {
        e = event(card, 'balance_check', 0, at, { balanceAfterCents: card.balance })
      } else if (kind < 0.73) {
        e = event(card, rng.chance(0.5) ? 'clear' : 'deactivate', 0, at, {
          balanceAfterCents: 0,
        })
        card.balance = 0
      } else if (kind < 0.83) {
        // A void of one of the card's events (this batch's or an earlier one's), sometimes of
        // a void or of an event voided already: refused, naming both.
        const original = rng.pick([...card.events, ...events.filter((x) => x.cardRef === card.id)])
        if (!original) continue
        e = event(card, 'void', rng.chance(0.2) ? 1 : 0, at, {
          originalEventId: original.eventId,
        })
      } else if (kind < 0.9 && events.length > 0) {
        // The same event twice in one delivery.
        events.push(rng.pick(events))
        continue
      } else if (kind < 0.95) {
        snapshots.push({
          source: 'generic',
          cardRef: card.id,
          occurredAt: iso(at),
          state: rng.pick(['active', 'held', 'deactivated'] as const),
          ...(rng.chance(0.5) ? { last4: String(rng.int(1000, 9999)) } : {}),
          ...(rng.chance(0.5) ? { holderCustomerId: `C${rng.int(1, 20)}` } : {}),
          ...(rng.chance(0.3) ? { expiresAt: iso(at + 365 * DAY) } : {}),
        })
        continue
      } else {
        e = event(card, 'redeem', rng.int(1, 3) * 100, at, { terminalId: 'T1', employeeId: 'E1' })
      }
      card.events.push(e)
      events.push(e)
    }
    batches.push({ events, cards: snapshots })
    // A sender retrying a whole delivery now and then.
    if (rng.chance(0.05)) batches.push({ events: [...events], cards: [] })
  }
  return batches
}

/** An export file for `cards` cards (source import), its lines in time order but a few late. */
function exportCsv(seed: number, cards: number, offset: number): string[] {
  const rng = new Rng(seed)
  const lines: { at: number; line: string }[] = []
  let n = 0
  for (let c = 1; c <= cards; c++) {
    const id = `ic-${offset + c}`
    let at = START + rng.int(0, 40) * DAY
    let balance = rng.int(20, 300) * 100
    const ids: string[] = []
    const redeems = new Set<number>()
    const row = (type: string, cents: number, extra: Record<string, string> = {}) => {
      const eventId = `i-${offset}-${++n}`
      ids.push(eventId)
      const when = rng.chance(0.015) ? at - rng.int(2, 8) * DAY : at
      lines.push({
        at: when,
        line: [
          eventId,
          iso(when),
          id,
          type,
          (cents / 100).toFixed(2),
          'USD',
          extra.balance ?? '',
          extra.location ?? `L${rng.int(1, 6)}`,
          extra.customer ?? '',
          extra.order ?? '',
          extra.items ?? '',
          extra.original ?? '',
        ].join(','),
      })
    }
    row('activate', balance, rng.chance(0.5) ? { customer: `C${rng.int(1, 30)}` } : {})
    for (let k = rng.int(2, 12); k > 0; k--) {
      at += rng.int(0, 3) * DAY + rng.int(1, 3_600_000)
      const kind = rng.next()
      if (kind < 0.5) {
        const cents = rng.chance(0.01) ? balance + 100 : rng.int(1, Math.max(1, balance / 2))
        const order = `io-${offset}-${n + 1}`
        redeems.add(ids.length)
        row('redeem', cents, {
          order,
          items: `S-${rng.int(1, 5)}:books:${(cents / 100).toFixed(2)}`,
        })
        if (cents <= balance) balance -= cents
      } else if (kind < 0.75) {
        const cents = rng.int(5, 40) * 100
        balance += cents
        row('load', cents)
      } else if (kind < 0.85) {
        const cents = rng.int(1, 10) * 100
        balance += cents
        row('refund', cents)
      } else if (kind < 0.93) {
        // Mostly of a redemption; now and then of anything (a void of a void is refused).
        const original = rng.chance(0.8) ? ids.filter((_, i) => redeems.has(i)) : ids
        if (original.length > 0) row('void', 0, { original: rng.pick(original) })
      } else {
        row('balance_check', 0, { balance: (balance / 100).toFixed(2) })
      }
    }
  }
  lines.sort((a, b) => a.at - b.at)
  const out = lines.map((l) => l.line)
  // A row repeated further down, as exports that overlap do.
  for (let i = 0; i < 20; i++) out.splice(rng.int(out.length / 2, out.length), 0, rng.pick(out))
  return out
}

const HEADER =
  'event_id,occurred_at,card_id,type,amount,currency,balance_after,location_id,customer_id,order_id,items,original_event_id'

function writeCsv(name: string, lines: string[]): string {
  const path = join(dir, name)
  writeFileSync(path, `${HEADER}\n${lines.join('\n')}\n`)
  return path
}

const sha = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32)

/** The write path's outcome, in a form independent of engine, clock and row ids. */
async function figures(database: Database) {
  const { db } = database
  const all = async (table: string, columns: string[]) => {
    const rows = (await db
      // biome-ignore lint/suspicious/noExplicitAny: a test reads tables by name
      .selectFrom(table as any)
      .select(columns as never[])
      .execute()) as Record<string, unknown>[]
    return rows
      .map((r) => columns.map((c) => r[c] ?? null))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  }
  const cards = await all('gift_cards', [
    'id',
    'source',
    'external_id',
    'gan_last4',
    'initial_value_cents',
    'balance_cents',
    'currency',
    'status',
    'issued_at',
    'expires_at',
    'issuing_location_id',
    'purchaser_customer_id',
    'holder_customer_id',
    'last_activity_at',
    'balance_as_of',
  ])
  const ledger = await all('gift_card_transactions', [
    'source',
    'event_id',
    'card_id',
    'type',
    'result',
    'amount_cents',
    'balance_after_cents',
    'currency',
    'occurred_at',
    'location_id',
    'terminal_id',
    'order_id',
    'customer_id',
    'employee_id',
  ])
  const rollup = (
    await all('ledger_daily', [
      'type',
      'day',
      'location_id',
      'occasion',
      'channel',
      'count',
      'amount_cents',
      'cards_opened',
      'cards_closed',
    ])
  ).filter((r) => r.slice(5).some((v) => v !== 0))
  const voids = await all('ledger_voids', [
    'source',
    'original_event_id',
    'void_event_id',
    'card_id',
    'original_type',
    'voided_at',
  ])
  const alerts = await all('fraud_alerts', ['card_id', 'rule', 'score', 'status', 'evidence'])
  const locations = await all('locations', ['id', 'name', 'city', 'timezone'])
  const customers = await all('customers', ['id', 'pseudonym'])
  const items = await all('order_items', ['order_id', 'sku', 'category', 'amount_cents'])
  const liability = await liabilityAsOf(db, { groupBy: 'location' })
  const liabilityThen = await liabilityAsOf(db, { asOf: '2025-02-01T00:00:00.000Z' })
  return {
    counts: {
      cards: cards.length,
      ledger: ledger.length,
      rollup: rollup.length,
      voids: voids.length,
      alerts: alerts.length,
    },
    ledgerSum: ledger.reduce((s, r) => s + Number(r[5]), 0),
    balanceSum: cards.reduce((s, r) => s + Number(r[5]), 0),
    liability,
    liabilityThen,
    cards: cards.map((r) => r.join('|')),
    digests: {
      ledger: sha(ledger),
      rollup: sha(rollup),
      voids: sha(voids),
      alerts: sha(alerts),
      locations: sha(locations),
      customers: sha(customers),
      items: sha(items),
    },
  }
}

/** Runs the whole stream into `database`; returns each step's outcome. */
async function run(database: Database, name: string) {
  const outcomes: string[] = []
  for (const batch of deliveries(17, 60)) {
    try {
      const r = await applyBatch(database, batch)
      outcomes.push(`ok ${r.appliedCount} ${r.duplicates} ${r.applied.map((a) => a.amountCents)}`)
    } catch (err) {
      outcomes.push(isGiftCardError(err) ? `${err.code} ${err.message}` : String(err))
    }
  }
  const first = exportCsv(23, 150, 0)
  const second = exportCsv(29, 60, 1000)
  const a = writeCsv(`${name}-a.csv`, first)
  // Overlaps the first file's second half (rows already in the ledger), then new cards.
  const b = writeCsv(`${name}-b.csv`, [...first.slice(first.length / 2), ...second])
  const imports: unknown[] = []
  for (const [path, batchSize] of [
    [a, 700],
    [a, 700],
    [b, 400],
  ] as const) {
    const report = await importFile(database, path, { format: 'csv', batchSize })
    imports.push({
      rows: report.rows,
      applied: report.applied,
      duplicates: report.duplicates,
      rejected: report.rejected,
      completedBefore: report.completedBefore !== null,
    })
  }
  return { outcomes, imports }
}

for (const dialect of DIALECTS) {
  describe(`the write path's figures on ${dialect.name}`, () => {
    let database: Database
    useDatabase(dialect, (d) => {
      database = d
    })

    it('are those of the write path before it was split (balances, liability, rollup, voids, alerts)', async () => {
      const result = { ...(await run(database, dialect.name)), figures: await figures(database) }
      if (process.env.GOLDEN_WRITE === '1' && dialect.name === 'sqlite')
        writeFileSync(GOLDEN, `${JSON.stringify(result, null, 1)}\n`)
      const golden = JSON.parse(readFileSync(GOLDEN, 'utf8'))
      expect(result.outcomes).toEqual(golden.outcomes)
      expect(result.imports).toEqual(golden.imports)
      expect(result.figures).toEqual(golden.figures)
    }, 240_000)
  })
}
