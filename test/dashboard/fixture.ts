import { createServices } from '../../app/index.ts'
import { DAY_MS, loadConfig, toIso } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { createToken } from '../../governance/index.ts'
import { seedChain } from '../../synth/seed.ts'

/** A card id that is HTML: every page must show it as text. */
export const HTML_CARD = '<script>alert(1)</script>'

export type DashboardFixture = {
  /** Bearer tokens, one per person. */
  tokens: { analyst: string; lp: string; manager: string; manager2: string }
  /** The alert on HTML_CARD (rule card_testing, the highest score). */
  htmlAlertId: number
  /** The card with the most transactions (a long timeline). */
  busyCard: string
}

/** The people of the dashboard tests. */
export const PEOPLE = {
  analyst: 'mcp:ana',
  lp: 'mcp:lp',
  manager: 'mcp:mgr',
  manager2: 'mcp:mgr2',
}

/**
 * A small seeded chain (150 cards over 8 months, ending now) with its fraud alerts scanned,
 * a token per role, and one card whose id is markup, with an open alert on it.
 */
export async function setUpDashboard(database: Database): Promise<DashboardFixture> {
  const now = Date.now()
  await seedChain(database, { cards: 150, seed: 7, startMs: now - 245 * DAY_MS, months: 8 })
  const analyst = await createToken(database, { actorId: PEOPLE.analyst })
  const lp = await createToken(database, { actorId: PEOPLE.lp, role: 'loss_prevention' })
  const manager = await createToken(database, { actorId: PEOPLE.manager, role: 'manager' })
  const manager2 = await createToken(database, { actorId: PEOPLE.manager2, role: 'manager' })
  const { toolkit } = createServices(database, loadConfig({ LOG_LEVEL: 'silent' }))
  const scan = await toolkit.executor.call(
    'scan_for_fraud',
    { days: 400 },
    { actor: { id: PEOPLE.lp, role: 'loss_prevention' }, via: 'cli' },
  )
  if (!scan.ok) throw new Error(`fixture: ${scan.error.message}`)
  const at = toIso(now - 3 * DAY_MS)
  const location = await database.db
    .selectFrom('locations')
    .select('id')
    .limit(1)
    .executeTakeFirstOrThrow()
  await database.db
    .insertInto('gift_cards')
    .values({
      id: HTML_CARD,
      source: 'seed',
      gan_last4: '0666',
      initial_value_cents: 5000,
      balance_cents: 5000,
      currency: 'USD',
      status: 'active',
      issued_at: at,
      issuing_location_id: location.id,
      occasion: 'holiday',
      channel: 'online',
      last_activity_at: at,
      updated_at: at,
    })
    .execute()
  const alert = await database.db
    .insertInto('fraud_alerts')
    .values({
      card_id: HTML_CARD,
      rule: 'card_testing',
      score: 0.999,
      status: 'open',
      evidence: JSON.stringify({ reason: 'found by <b>bold</b> probing', figures: {}, events: [] }),
      detected_at: at,
      updated_at: at,
      updated_by: null,
      note: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const busy = await database.db
    .selectFrom('gift_card_transactions')
    .select(['card_id', (eb) => eb.fn.countAll().as('n')])
    .where('card_id', 'is not', null)
    .groupBy('card_id')
    .orderBy('n', 'desc')
    .orderBy('card_id')
    .limit(1)
    .executeTakeFirstOrThrow()
  return {
    busyCard: String(busy.card_id),
    tokens: {
      analyst: analyst.token,
      lp: lp.token,
      manager: manager.token,
      manager2: manager2.token,
    },
    htmlAlertId: Number(alert.id),
  }
}
