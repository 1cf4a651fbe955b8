import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Config, DAY_MS, loadConfig, toIso } from '../../core/index.ts'
import { type Database, rebuildDailyRollup } from '../../db/index.ts'
import { ACTORS, setUpAgentFixture } from '../helpers/agent-fixture.ts'

/**
 * The pilot tests' chain (docs/pilot.md): the seeded chain (stores in ten states, New York's
 * four among them), piloted on US-NY. It names the ids the tests ask about, inside the pilot and
 * out of it, and `poisonOutsidePilot` changes everything outside it.
 */
export type PilotChain = {
  /** No pilot: the whole chain. */
  chain: Config
  /** PILOT_JURISDICTIONS=US-NY. */
  pilot: Config
  nyStores: string[]
  /** Every card issued outside New York (the poison's cards too, once written). */
  foreignCards: Set<string>
  foreignStores: Set<string>
  /** A Texas store: its id and name. */
  tx: { id: string; name: string }
  ny: {
    card: string
    /** A New York card no other card shares the last four digits of (the poison will). */
    uniqueCard: { id: string; last4: string }
    alertId: number
    /** A New York card with an active hold. */
    heldCard: string
  }
  /** Outside the pilot: a Texas-issued card with a balance, an alert on it, a held card. */
  outside: { card: string; alertId: number; heldCard: string; campaignId: number }
  labelsPath: string
}

const dir = () => mkdtempSync(join(tmpdir(), 'giftcards-pilot-'))

/** Seeds the chain with an alert and a hold inside New York and outside it. */
export async function setUpPilotChain(database: Database): Promise<PilotChain> {
  const labelsPath = join(dir(), 'labels.jsonl')
  await setUpAgentFixture(database, 400, { labelsPath })
  const { db } = database
  const stores = await db.selectFrom('locations').select(['id', 'name', 'jurisdiction']).execute()
  const nyStores = stores.filter((s) => s.jurisdiction === 'US-NY').map((s) => s.id)
  const tx = stores.find((s) => s.jurisdiction === 'US-TX')
  if (!tx || nyStores.length === 0) throw new Error('the seeded chain has no NY or TX store')
  // The forecasts are checked for their scope, not their accuracy: 20 bootstrap refits, not 200.
  const env = {
    PII_TOKEN_KEY: 'test-pii-key',
    CAMPAIGN_EXPORT_DIR: dir(),
    FORECAST_BOOTSTRAP: '20',
  }
  const activeIn = (where: 'in' | 'not in') =>
    db
      .selectFrom('gift_cards')
      .select(['id', 'gan_last4'])
      .where('issuing_location_id', where, nyStores)
      .where('status', '=', 'active')
      .where('balance_cents', '>', 1000)
      .orderBy('id')
  const nyCards = await activeIn('in').limit(3).execute()
  const unique = await db
    .selectFrom('gift_cards as g')
    .select(['g.id', 'g.gan_last4'])
    .where('g.issuing_location_id', 'in', nyStores)
    .where('g.balance_cents', '>', 0)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('gift_cards as o')
            .select('o.id')
            .whereRef('o.gan_last4', '=', 'g.gan_last4')
            .whereRef('o.id', '!=', 'g.id'),
        ),
      ),
    )
    .orderBy('g.id')
    .limit(1)
    .executeTakeFirstOrThrow()
  const txCards = await activeIn('not in')
    .where('issuing_location_id', '=', tx.id)
    .limit(2)
    .execute()
  const [nyCard, nyHeld] = nyCards
  const [txCard, txHeld] = txCards
  if (!nyCard || !nyHeld || !txCard || !txHeld) throw new Error('too few active cards')
  const now = toIso(Date.now())
  const alert = async (cardId: string) =>
    Number(
      (
        await db
          .insertInto('fraud_alerts')
          .values({
            card_id: cardId,
            rule: 'drain_after_activation',
            score: 0.97,
            status: 'open',
            evidence: JSON.stringify({ reason: 'drained within minutes', eventIds: [] }),
            detected_at: now,
            updated_at: now,
            updated_by: null,
            note: null,
          })
          .onConflict((oc) => oc.columns(['card_id', 'rule']).doUpdateSet({ score: 0.97 }))
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    )
  const hold = (cardId: string) =>
    db
      .insertInto('card_holds')
      .values({
        card_id: cardId,
        reason: 'test hold',
        status: 'active',
        approval_id: null,
        amount_cents: 1000,
        placed_at: now,
        released_at: null,
        pos_reference: null,
        release_pos_reference: null,
      })
      .execute()
  const nyAlert = await alert(nyCard.id)
  const txAlert = await alert(txCard.id)
  await hold(nyHeld.id)
  await hold(txHeld.id)
  const campaign = await db
    .insertInto('campaigns')
    .values({
      name: 'Houston reactivation',
      segment: JSON.stringify({
        minDaysInactive: 30,
        minBalanceCents: 1,
        location: tx.name,
        locationIds: [tx.id],
        stores: [{ id: tx.id, name: tx.name, jurisdiction: 'US-TX' }],
      }),
      offer: 'come back',
      message: 'your balance is waiting',
      target_count: 1,
      target_liability_cents: 100,
      predicted_uptake: 0.1,
      status: 'draft',
      approval_id: null,
      created_by: ACTORS.analyst.id,
      created_at: now,
      launched_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  const foreign = await db
    .selectFrom('gift_cards')
    .select('id')
    .where((eb) =>
      eb.or([eb('issuing_location_id', 'not in', nyStores), eb('issuing_location_id', 'is', null)]),
    )
    .execute()
  return {
    chain: loadConfig(env),
    pilot: loadConfig({ ...env, PILOT_JURISDICTIONS: 'US-NY' }),
    nyStores,
    foreignCards: new Set(foreign.map((c) => c.id)),
    foreignStores: new Set(stores.filter((s) => s.jurisdiction !== 'US-NY').map((s) => s.id)),
    tx: { id: tx.id, name: tx.name },
    ny: {
      card: nyCard.id,
      uniqueCard: { id: unique.id, last4: unique.gan_last4 },
      alertId: nyAlert,
      heldCard: nyHeld.id,
    },
    outside: {
      card: txCard.id,
      alertId: txAlert,
      heldCard: txHeld.id,
      campaignId: Number(campaign.id),
    },
    labelsPath,
  }
}

/**
 * Changes everything outside the pilot and nothing in it: new Texas cards (one sharing the last
 * four digits of a New York card, one bought by a New York card's purchaser, one long dormant and
 * owed to New York under unclaimed-property law), their activity at a Texas store with order
 * items, an alert and a hold on them. Dated inside the ledger's span, so its watermark stays.
 */
export async function poisonOutsidePilot(database: Database, chain: PilotChain): Promise<void> {
  const { db } = database
  const day = (ago: number) => toIso(Date.now() - ago * DAY_MS)
  // The purchaser of a recently dormant New York card: their habit scales its reactivation.
  const purchaser = await db
    .selectFrom('gift_cards')
    .select('purchaser_customer_id')
    .where('issuing_location_id', 'in', chain.nyStores)
    .where('purchaser_customer_id', 'is not', null)
    .where('balance_cents', '>', 0)
    .where('last_activity_at', '<', day(45))
    .orderBy('last_activity_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow()
  await db
    .insertInto('customers')
    .values({
      id: 'cus_poison',
      pseudonym: 'cust_poison01',
      name: null,
      email: null,
      phone: null,
      address_state: 'US-NY',
      home_location_id: chain.tx.id,
      created_at: day(2500),
    })
    .execute()
  const cards = [
    { id: 'gc_poison1', last4: chain.ny.uniqueCard.last4, issued: 600, used: 500, value: 60000 },
    { id: 'gc_poison2', last4: '0001', issued: 700, used: 650, value: 90000 },
    { id: 'gc_poison3', last4: '0002', issued: 2200, used: 2200, value: 7777 },
  ]
  for (const c of cards) {
    const spent = c.used === c.issued ? 0 : 10000
    await db
      .insertInto('gift_cards')
      .values({
        id: c.id,
        source: 'seed',
        external_id: null,
        gan_last4: c.last4,
        initial_value_cents: c.value,
        balance_cents: c.value - spent,
        currency: 'USD',
        status: 'active',
        issued_at: day(c.issued),
        expires_at: null,
        issuing_location_id: chain.tx.id,
        purchaser_customer_id:
          c.id === 'gc_poison1' ? purchaser.purchaser_customer_id : 'cus_poison',
        holder_customer_id: 'cus_poison',
        channel: 'in_store',
        occasion: 'corporate',
        last_activity_at: day(c.used),
        balance_as_of: day(c.used),
        updated_at: day(c.used),
      })
      .execute()
    const tx = (n: number, type: 'activate' | 'redeem', amount: number, ago: number) => ({
      source: 'seed' as const,
      event_id: `${c.id}-${n}`,
      card_id: c.id,
      type,
      result: 'ok' as const,
      amount_cents: amount,
      balance_after_cents: null,
      currency: 'USD',
      occurred_at: day(ago),
      location_id: chain.tx.id,
      terminal_id: null,
      order_id: `ord_${c.id}_${n}`,
      customer_id: null,
      employee_id: null,
    })
    await db
      .insertInto('gift_card_transactions')
      .values([
        tx(1, 'activate', c.value, c.issued),
        ...(spent > 0 ? [tx(2, 'redeem', -spent, c.used)] : []),
      ])
      .execute()
    await db
      .insertInto('order_items')
      .values([
        { order_id: `ord_${c.id}_1`, sku: 'POISON-1', category: 'poison', amount_cents: 100 },
        { order_id: `ord_${c.id}_2`, sku: 'POISON-2', category: 'home_goods', amount_cents: 100 },
      ])
      .execute()
    chain.foreignCards.add(c.id)
  }
  const now = toIso(Date.now())
  await db
    .insertInto('fraud_alerts')
    .values({
      card_id: 'gc_poison1',
      rule: 'bulk_purchase',
      score: 0.99,
      status: 'open',
      evidence: JSON.stringify({ reason: 'poison', eventIds: ['gc_poison1-1'] }),
      detected_at: day(3),
      updated_at: now,
      updated_by: null,
      note: null,
    })
    .execute()
  await db
    .insertInto('card_holds')
    .values({
      card_id: 'gc_poison2',
      reason: 'poison hold',
      status: 'active',
      approval_id: null,
      amount_cents: 80000,
      placed_at: day(2),
      released_at: null,
      pos_reference: null,
      release_pos_reference: null,
    })
    .execute()
  // Written by hand: the daily rollup is built again to include it.
  await rebuildDailyRollup(db, database.adapter)
}
