import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeOutcome } from '../../agent/index.ts'
import type { Database } from '../../db/index.ts'
import {
  type Approval,
  type ApprovalExecutor,
  ApprovalService,
  LightspeedConnector,
  PosRouter,
  ShopifyConnector,
  SquareConnector,
} from '../../governance/index.ts'
import {
  applyBatch,
  lightspeedCardToNormalized,
  lightspeedGiftCardSchema,
} from '../../ingest/index.ts'
import { approvalCard, decidedCard } from '../../slack-app/index.ts'
import { createToolkit, type PendingApproval } from '../../tools/index.ts'
import { type FakeLightspeed, startFakeLightspeed } from '../fakes/lightspeed-api.ts'
import { type FakeShopify, startFakeShopify } from '../fakes/shopify-admin-api.ts'
import { type FakeSquare, startFakeSquare } from '../fakes/square-api.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { heldExecutors } from '../helpers/held-executors.ts'

/**
 * Each POS connector against a loopback fake of its platform's documented API (issue 23),
 * through the real approval path (the write tools, the approval service, the executors): a hold
 * takes the POS balance out, its release gives exactly that back, a retry after a timeout moves
 * nothing twice, a refusal leaves the approval failed with the POS's reason and the ledger
 * untouched, and a POS balance that moved while the card was held raises an alert.
 */

/** What a test needs of one platform and its fake. */
type Platform = {
  name: 'square' | 'shopify' | 'lightspeed'
  start(): Promise<void>
  close(): Promise<void>
  /** A ledger card id of this platform for test `n`. */
  cardId(n: number): string
  /** Registers the card at the fake POS with a balance. */
  register(cardId: string, cents: number): void
  balance(cardId: string): number
  /** Moves money at the till, as a sale or a reload would (not through the connector). */
  tillMoves(cardId: string, cents: number): void
  /** How many moves the fake made for this card. */
  moves(cardId: string): number
  /** The connector (a short timeout when asked), or one with a token the POS refuses. */
  router(options?: { timeoutMs?: number; badToken?: boolean }): PosRouter
  /** The next move is made and answered only after `ms`. */
  answerLate(ms: number): void
}

const TOKEN = 'pos-token'

function squarePlatform(): Platform {
  let fake: FakeSquare
  return {
    name: 'square',
    start: async () => {
      fake = await startFakeSquare(TOKEN)
    },
    close: () => fake.close(),
    cardId: (n) => `gftc:hold${n}`,
    register: (id, cents) => {
      fake.balances[id] = cents
    },
    balance: (id) => fake.balances[id] ?? Number.NaN,
    tillMoves: (id, cents) => {
      fake.balances[id] = (fake.balances[id] ?? 0) + cents
    },
    moves: (id) => fake.created.filter((c) => c.activity.gift_card_id === id).length,
    router: ({ timeoutMs, badToken } = {}) =>
      new PosRouter({
        square: new SquareConnector({
          baseUrl: fake.url,
          accessToken: badToken ? 'wrong' : TOKEN,
          apiVersion: '2025-10-16',
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
      }),
    answerLate: (ms) => {
      fake.answerLate.push(ms)
    },
  }
}

function shopifyPlatform(): Platform {
  let fake: FakeShopify
  const numeric = (id: string) => id.slice('shopify:'.length)
  const card = (id: string) => {
    const c = fake.cards[numeric(id)]
    if (!c) throw new Error(`the fake has no card ${id}`)
    return c
  }
  return {
    name: 'shopify',
    start: async () => {
      fake = await startFakeShopify(TOKEN)
    },
    close: () => fake.close(),
    cardId: (n) => `shopify:${9000 + n}`,
    register: (id, cents) => {
      fake.cards[numeric(id)] = {
        id: numeric(id),
        currency: 'USD',
        balanceCents: cents,
        enabled: true,
        transactions: [],
      }
    },
    balance: (id) => card(id).balanceCents,
    tillMoves: (id, cents) => {
      card(id).balanceCents += cents
    },
    moves: (id) => card(id).transactions.length,
    router: ({ timeoutMs, badToken } = {}) =>
      new PosRouter({
        shopify: new ShopifyConnector({
          shopUrl: fake.url,
          accessToken: badToken ? 'wrong' : TOKEN,
          apiVersion: fake.apiVersion,
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
      }),
    answerLate: (ms) => {
      fake.answerLate.push(ms)
    },
  }
}

function lightspeedPlatform(): Platform {
  let fake: FakeLightspeed
  const card = (id: string) => {
    const c = fake.giftCards.find((g) => `lightspeed:${String(g.id)}` === id)
    if (!c) throw new Error(`the fake has no card ${id}`)
    return c
  }
  return {
    name: 'lightspeed',
    start: async () => {
      fake = await startFakeLightspeed(TOKEN)
    },
    close: () => fake.close(),
    cardId: (n) => `lightspeed:0242ac12-hold-${n}`,
    register: (id, cents) => {
      fake.giftCards.push({
        id: id.slice('lightspeed:'.length),
        number: `77000${id.length}${id.slice(-3)}`,
        status: 'ACTIVE',
        created_at: '2026-01-05T10:00:00+00:00',
        balance: cents / 100,
        gift_card_transactions: [],
      })
    },
    balance: (id) => Math.round(Number(card(id).balance) * 100),
    tillMoves: (id, cents) => {
      const c = card(id)
      c.balance = Math.round(Number(c.balance) * 100 + cents) / 100
    },
    moves: (id) =>
      ((card(id).gift_card_transactions ?? []) as { client_id?: string }[]).filter(
        (t) => t.client_id,
      ).length,
    router: ({ timeoutMs, badToken } = {}) =>
      new PosRouter({
        lightspeed: new LightspeedConnector({
          baseUrl: fake.url,
          accessToken: badToken ? 'wrong' : TOKEN,
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
      }),
    answerLate: (ms) => {
      fake.answerLate.push(ms)
    },
  }
}

for (const dialect of DIALECTS) {
  for (const platform of [squarePlatform(), shopifyPlatform(), lightspeedPlatform()]) {
    describe(`holds at ${platform.name}, on ${dialect.name}`, () => {
      let database: Database
      let fixture: AgentFixture
      let n = 0
      beforeAll(() => platform.start())
      afterAll(() => platform.close())
      useDatabase(dialect, async (d) => {
        database = d
        fixture = await setUpAgentFixture(d, 120)
      })

      /** A card of this platform, in the ledger and at the fake POS with the same balance. */
      const newCard = async (cents: number) => {
        const id = platform.cardId(++n)
        await applyBatch(database, {
          events: [
            {
              source: platform.name,
              eventId: `activate-${id}`,
              cardRef: id,
              type: 'activate',
              amountCents: cents,
              currency: 'USD',
              occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
              locationId: `${platform.name}:LOC1`,
            },
          ],
          cards: [],
        })
        platform.register(id, cents)
        return id
      }
      const kitWith = (pos: PosRouter) => createToolkit(database, fixture.config, { pos })
      const request = async (
        kit: ReturnType<typeof kitWith>,
        tool: 'place_card_hold' | 'release_card_hold',
        card: string,
      ) => {
        const filed = await kit.executor.call(
          tool,
          { card, reason: 'loss prevention case 17' },
          { actor: ACTORS.lp, via: 'cli' },
        )
        if (!filed.ok) throw new Error(filed.error.message)
        return filed.data as PendingApproval
      }
      const approve = async (kit: ReturnType<typeof kitWith>, id: number): Promise<Approval> =>
        (await kit.approvals.decide(id, { actor: ACTORS.manager, via: 'cli', decision: 'approve' }))
          .approval
      const holdsOf = (card: string) =>
        database.db.selectFrom('card_holds').selectAll().where('card_id', '=', card).execute()
      const cardStatus = async (card: string) =>
        (
          await database.db
            .selectFrom('gift_cards')
            .select('status')
            .where('id', '=', card)
            .executeTakeFirstOrThrow()
        ).status
      const mismatchAlert = (card: string) =>
        database.db
          .selectFrom('fraud_alerts')
          .selectAll()
          .where('card_id', '=', card)
          .where('rule', '=', 'pos_balance_mismatch')
          .executeTakeFirst()

      it('a hold takes the POS balance out and its release gives exactly that back', async () => {
        const kit = kitWith(platform.router())
        const card = await newCard(4250)
        const pending = await request(kit, 'place_card_hold', card)
        // The manager is told before deciding that this hold stops the card at the till.
        expect(pending.details.enforcement).toMatchObject({
          enforced: true,
          connector: platform.name,
        })
        expect(pending.summary).toContain(`Enforced at the POS (${platform.name})`)
        const how = String((pending.details.enforcement as { how: string }).how)
        expect(JSON.stringify(approvalCard(await kit.approvals.get(pending.approvalId)))).toContain(
          `*At the POS*: enforced (${platform.name}): ${how}`,
        )
        const placed = await approve(kit, pending.approvalId)
        expect(placed.status).toBe('executed')
        // The reply and the decided card say it again, with what was moved.
        const reply = describeOutcome(placed)
        expect(reply).toContain(`Enforced at the POS (${platform.name}): ${how}`)
        expect(reply).toContain('$42.50 held')
        expect(JSON.stringify(decidedCard(placed, reply))).toContain(`enforced (${platform.name})`)
        expect(placed.outcome).toMatchObject({
          connector: platform.name,
          enforced: true,
          amountCents: 4250,
          posBalanceBeforeCents: 4250,
        })
        expect(placed.outcome?.mismatch).toBeUndefined()
        expect(platform.balance(card)).toBe(0)
        expect(platform.moves(card)).toBe(1)
        const [hold] = await holdsOf(card)
        expect(hold).toMatchObject({ status: 'active', pos_connector: platform.name })
        expect(Number(hold?.amount_cents)).toBe(4250)
        expect(await cardStatus(card)).toBe('held')

        const release = await request(kit, 'release_card_hold', card)
        expect(release.details.enforcement).toMatchObject({ enforced: true })
        const released = await approve(kit, release.approvalId)
        expect(released.status).toBe('executed')
        expect(released.outcome).toMatchObject({ amountCents: 4250, posBalanceBeforeCents: 0 })
        expect(platform.balance(card)).toBe(4250)
        expect(platform.moves(card)).toBe(2)
        expect(await cardStatus(card)).toBe('active')
        expect(await mismatchAlert(card)).toBeUndefined()
      })

      it('a move answered after the timeout is found by its key, not made twice', async () => {
        const kit = kitWith(platform.router({ timeoutMs: 300 }))
        const card = await newCard(1999)
        const pending = await request(kit, 'place_card_hold', card)
        platform.answerLate(1500)
        const placed = await approve(kit, pending.approvalId)
        expect(placed.status).toBe('executed')
        expect(platform.moves(card)).toBe(1)
        expect(platform.balance(card)).toBe(0)
        expect(Number((await holdsOf(card))[0]?.amount_cents)).toBe(1999)

        const release = await request(kit, 'release_card_hold', card)
        platform.answerLate(1500)
        expect((await approve(kit, release.approvalId)).status).toBe('executed')
        expect(platform.moves(card)).toBe(2)
        expect(platform.balance(card)).toBe(1999)
      })

      it('a recording that fails after the POS moved leaves the request approved; the recovery finds the move by its key', async () => {
        const pos = platform.router()
        const kit = kitWith(pos)
        const card = await newCard(2200)
        const pending = await request(kit, 'place_card_hold', card)
        const real = heldExecutors(fixture.config, pos, async () => {})
        const hold = real.place_card_hold as ApprovalExecutor
        // The POS takes the balance, then the ledger cannot store the outcome (a BigInt in it).
        const broken = new ApprovalService(database, {
          executors: {
            ...real,
            place_card_hold: {
              ...hold,
              apply: async (...args) => ({ ...(await hold.apply(...args)), size: 1n }),
            },
          },
          ttlHours: fixture.config.approvals.ttlHours,
        })
        const decided = await broken.decide(pending.approvalId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
        expect(decided.approval.status).toBe('approved')
        expect(platform.balance(card)).toBe(0)
        expect(await holdsOf(card)).toHaveLength(0)
        const [resumed] = (
          await kit.approvals.resumeApproved({ id: 'system:test', role: null, via: 'cli' })
        ).filter((r) => r.approval.id === pending.approvalId)
        expect(resumed?.approval.status).toBe('executed')
        // One move at the POS, and the hold keeps what it took, not the $0.00 the POS shows now.
        expect(platform.moves(card)).toBe(1)
        expect(Number((await holdsOf(card))[0]?.amount_cents)).toBe(2200)
      })

      it("a refusal leaves the approval failed with the POS's reason and the ledger untouched", async () => {
        const card = await newCard(800)
        const refusing = kitWith(platform.router({ badToken: true }))
        const pending = await request(refusing, 'place_card_hold', card)
        const failed = await approve(refusing, pending.approvalId)
        expect(failed.status).toBe('failed')
        expect(String(failed.outcome?.error)).toMatch(/refused|401/)
        expect(await holdsOf(card)).toHaveLength(0)
        expect(await cardStatus(card)).toBe('active')
        expect(platform.balance(card)).toBe(800)
        expect(platform.moves(card)).toBe(0)
      })

      it('a POS balance that moved while held raises an alert; the release restores exactly what was held', async () => {
        const kit = kitWith(platform.router())
        const card = await newCard(3000)
        // A redemption the ledger has not heard of yet: the POS has $5.00 less.
        platform.tillMoves(card, -500)
        const placed = await approve(kit, (await request(kit, 'place_card_hold', card)).approvalId)
        expect(placed.outcome).toMatchObject({ amountCents: 2500, posBalanceBeforeCents: 2500 })
        expect(
          String((placed.outcome?.mismatch as { detail?: string } | undefined)?.detail),
        ).toContain("the POS balance was $25.00 when the hold was placed and the ledger's $30.00")
        expect(Number((await holdsOf(card))[0]?.amount_cents)).toBe(2500)
        // Then $7.00 reaches the card at the till while it is held.
        platform.tillMoves(card, 700)
        const released = await approve(
          kit,
          (await request(kit, 'release_card_hold', card)).approvalId,
        )
        expect(released.status).toBe('executed')
        expect(released.outcome).toMatchObject({ amountCents: 2500, posBalanceBeforeCents: 700 })
        expect(platform.balance(card)).toBe(3200)
        const alert = await mismatchAlert(card)
        expect(alert?.status).toBe('open')
        expect(JSON.parse(alert?.evidence ?? '{}')).toMatchObject({
          posBalanceCents: 700,
          idempotencyKey: `release-approval-${released.id}`,
        })
      })
    })
  }
}

for (const dialect of DIALECTS) {
  describe(`ledger-only holds, on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let square: FakeSquare
    beforeAll(async () => {
      square = await startFakeSquare(TOKEN)
    })
    afterAll(() => square.close())
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 120)
    })

    it('a Clover card is held in the ledger only, and the request, card and reply say why', async () => {
      // Square is configured; a Clover card still cannot be held at its POS.
      const kit = createToolkit(database, fixture.config, {
        pos: new PosRouter({
          square: new SquareConnector({
            baseUrl: square.url,
            accessToken: TOKEN,
            apiVersion: '2025-10-16',
          }),
        }),
      })
      const card = 'clover:card:hold-1'
      await applyBatch(database, {
        events: [
          {
            source: 'clover',
            eventId: 'clover-activate-hold-1',
            cardRef: card,
            type: 'activate',
            amountCents: 6000,
            currency: 'USD',
            occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
          },
        ],
        cards: [],
      })
      const filed = await kit.executor.call(
        'place_card_hold',
        { card, reason: 'chargeback' },
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!filed.ok) throw new Error(filed.error.message)
      const pending = filed.data as PendingApproval
      expect(pending.details.enforcement).toMatchObject({
        enforced: false,
        connector: 'ledger-only',
      })
      expect(pending.summary).toContain(
        'Ledger only: the card still works at the till; a redemption will raise an alert',
      )
      expect(String((pending.details.enforcement as { why: string }).why)).toContain(
        "Clover's gift card API can only lock an amount for a limited time",
      )
      expect(JSON.stringify(approvalCard(await kit.approvals.get(pending.approvalId)))).toContain(
        ':warning: *ledger only*: the card still works at the till',
      )
      const placed = (
        await kit.approvals.decide(pending.approvalId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
      ).approval
      expect(placed.status).toBe('executed')
      expect(placed.outcome).toMatchObject({
        connector: 'ledger-only',
        enforced: false,
        amountCents: 6000,
      })
      expect(describeOutcome(placed)).toContain(
        'Ledger only: the card still works at the till; a redemption will raise an alert',
      )
      expect(square.requests).toHaveLength(0)
      const [hold] = await database.db
        .selectFrom('card_holds')
        .selectAll()
        .where('card_id', '=', card)
        .execute()
      expect(hold).toMatchObject({
        pos_connector: 'ledger-only',
        pos_reference: `local:hold-approval-${placed.id}`,
      })
      expect(
        await database.db
          .selectFrom('pos_hold_calls')
          .selectAll()
          .where('card_id', '=', card)
          .execute(),
      ).toHaveLength(0)
    })

    it('a hold placed at Square is released at Square even when Square is no longer configured: refused, not silently ledger-only', async () => {
      const card = 'gftc:ledger-only-release'
      await applyBatch(database, {
        events: [
          {
            source: 'square',
            eventId: 'sq-activate-lor',
            cardRef: card,
            type: 'activate',
            amountCents: 1200,
            currency: 'USD',
            occurredAt: new Date(Date.now() - 86_400_000).toISOString(),
            locationId: 'square:LOC1',
          },
        ],
        cards: [],
      })
      square.balances[card] = 1200
      const withSquare = createToolkit(database, fixture.config, {
        pos: new PosRouter({
          square: new SquareConnector({
            baseUrl: square.url,
            accessToken: TOKEN,
            apiVersion: '2025-10-16',
          }),
        }),
      })
      const hold = await withSquare.executor.call(
        'place_card_hold',
        { card },
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!hold.ok) throw new Error(hold.error.message)
      await withSquare.approvals.decide((hold.data as PendingApproval).approvalId, {
        actor: ACTORS.manager,
        via: 'cli',
        decision: 'approve',
      })
      expect(square.balances[card]).toBe(0)
      const without = createToolkit(database, fixture.config, { pos: new PosRouter({}) })
      const release = await without.executor.call(
        'release_card_hold',
        { card },
        { actor: ACTORS.lp, via: 'cli' },
      )
      if (!release.ok) throw new Error(release.error.message)
      expect((release.data as PendingApproval).details.enforcement).toMatchObject({
        enforced: true,
        connector: 'square',
      })
      const failed = (
        await without.approvals.decide((release.data as PendingApproval).approvalId, {
          actor: ACTORS.manager,
          via: 'cli',
          decision: 'approve',
        })
      ).approval
      expect(failed.status).toBe('failed')
      expect(String(failed.outcome?.error)).toContain(
        'took $12.00 out at square, which is not configured now',
      )
      const [row] = await database.db
        .selectFrom('card_holds')
        .selectAll()
        .where('card_id', '=', card)
        .execute()
      expect(row?.status).toBe('active')
    })
  })
}

describe('what the Lightspeed poller reads back of a hold', () => {
  it("reads a hold's REDEEMING and its release's RELOADING as adjustments, a till's as a redemption and a load", () => {
    const tx = (id: string, type: string, amount: number, clientId: string | null) => ({
      id,
      type,
      amount,
      client_id: clientId,
      created_at: `2026-03-0${id.slice(-1)}T10:00:00+00:00`,
    })
    const normalized = lightspeedCardToNormalized(
      lightspeedGiftCardSchema.parse({
        id: 'c1',
        number: '7700001',
        status: 'ACTIVE',
        created_at: '2026-03-01T09:00:00+00:00',
        balance: 30,
        gift_card_transactions: [
          tx('t1', 'ACTIVATION', 50, null),
          tx('t2', 'REDEEMING', -20, 'sale-991'),
          tx('t3', 'REDEEMING', -30, 'hold-approval-12'),
          tx('t4', 'RELOADING', 30, 'release-approval-14'),
          tx('t5', 'RELOADING', 5, 'till-7'),
          tx('t6', 'REDEEMING', -5, 'undo-release-approval-15'),
        ],
      }),
      'USD',
    )
    expect(normalized.events.map((e) => [e.eventId, e.type, e.amountCents])).toEqual([
      ['t1', 'activate', 5000],
      ['t2', 'redeem', -2000],
      ['t3', 'adjust_down', -3000],
      ['t4', 'adjust_up', 3000],
      ['t5', 'load', 500],
      ['t6', 'adjust_down', -500],
    ])
  })
})
