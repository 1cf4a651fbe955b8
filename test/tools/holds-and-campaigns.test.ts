import { describe, expect, it } from 'vitest'
import type { Database } from '../../db/index.ts'
import type { Actor } from '../../governance/index.ts'
import { createToolkit, type PendingApproval, type Toolkit } from '../../tools/index.ts'
import { ACTORS, type AgentFixture, setUpAgentFixture } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

type Hold = {
  holdId: number
  cardId: string
  last4: string
  store: { id: string; name: string; jurisdiction: string } | null
  status: string
  reason: string | null
  requestedBy: string | null
  approvedBy: string | null
  approvalId: number | null
  releasedBy: string | null
  releaseApprovedBy: string | null
  releaseReason: string | null
  releaseApprovalId: number | null
}
type HoldList = { activeHolds: number; releasedHolds: number; total: number; items: Hold[] }

for (const dialect of DIALECTS) {
  describe(`card holds and campaigns on ${dialect.name}`, () => {
    let database: Database
    let fixture: AgentFixture
    let kit: Toolkit
    useDatabase(dialect, async (d) => {
      database = d
      fixture = await setUpAgentFixture(d, 200)
      kit = createToolkit(d, fixture.config)
    })

    const call = async (tool: string, args: unknown, actor: Actor = ACTORS.lp) => {
      const outcome = await kit.executor.call(tool, args, { actor, via: 'cli' })
      if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
      return outcome.data
    }
    const approve = async (approvalId: number) => {
      const decided = await kit.approvals.decide(approvalId, {
        actor: ACTORS.manager2,
        via: 'cli',
        decision: 'approve',
      })
      expect(decided.approval.status).toBe('executed')
    }
    const cards = async (n: number) =>
      (
        await database.db
          .selectFrom('gift_cards')
          .select(['id', 'gan_last4'])
          .where('status', '=', 'active')
          .where('balance_cents', '>', 0)
          .where('id', '!=', fixture.piiCard)
          .orderBy('id', 'desc')
          .limit(n)
          .execute()
      ).map((c) => c.id)

    it('files a hold with no reason as "no reason given", never a made-up one', async () => {
      const [card] = await cards(1)
      const pending = (await call('place_card_hold', { card })) as PendingApproval
      expect(pending.summary).toMatch(/: no reason given\. Ledger only: /)
      const request = await kit.approvals.get(pending.approvalId)
      expect(request.reason).toBeNull()
      expect(request.args).toEqual({ cardId: card, reason: null })
      await approve(pending.approvalId)
      const list = (await call('list_card_holds', { card }, ACTORS.analyst)) as HoldList
      expect(list.items).toHaveLength(1)
      expect(list.items[0]).toMatchObject({
        cardId: card,
        status: 'active',
        reason: null,
        requestedBy: ACTORS.lp.id,
        approvedBy: ACTORS.manager2.id,
        approvalId: pending.approvalId,
        releasedBy: null,
      })
      const looked = (await call('get_gift_card', { card }, ACTORS.analyst)) as {
        hold: Record<string, unknown> | null
      }
      expect(looked.hold).toMatchObject({
        reason: null,
        requestedBy: ACTORS.lp.id,
        approvedBy: ACTORS.manager2.id,
        approvalId: pending.approvalId,
      })
    })

    it('keeps the reasons verbatim and records who released a hold, why and under which approval', async () => {
      const [, card] = await cards(2)
      const words = '  Customer called: "lost it at the mall" — hold pls  '
      const placed = (await call('place_card_hold', { card, reason: words })) as PendingApproval
      // The words verbatim, then what the hold does at the till.
      expect(placed.summary).toContain(`: ${words}. Ledger only: the card still works at the till`)
      await approve(placed.approvalId)
      const release = (await call(
        'release_card_hold',
        { card, reason: 'found it in her coat' },
        ACTORS.manager,
      )) as PendingApproval
      await approve(release.approvalId)
      const list = (await call('list_card_holds', { card }, ACTORS.analyst)) as HoldList
      // A card that does not exist has no "no holds": it is not found.
      const unknown = await kit.executor.call(
        'list_card_holds',
        { card: '0000' },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(unknown).toMatchObject({ ok: false, error: { code: 'CARD_NOT_FOUND' } })
      const hold = list.items[0]
      expect(hold).toMatchObject({
        status: 'released',
        reason: words,
        requestedBy: ACTORS.lp.id,
        approvedBy: ACTORS.manager2.id,
        releasedBy: ACTORS.manager.id,
        releaseApprovedBy: ACTORS.manager2.id,
        releaseReason: 'found it in her coat',
        releaseApprovalId: release.approvalId,
        enforcedAt: null,
      })
      // Kept on the hold itself, not only read back from the approvals.
      const row = await database.db
        .selectFrom('card_holds')
        .select(['released_by', 'release_reason', 'release_approval_id', 'reason'])
        .where('card_id', '=', card as string)
        .executeTakeFirstOrThrow()
      expect(row).toEqual({
        released_by: ACTORS.manager.id,
        release_reason: 'found it in her coat',
        release_approval_id: release.approvalId,
        reason: words,
      })
      expect(hold?.store?.name).toEqual(expect.any(String))
      expect(hold?.store?.jurisdiction).toMatch(/^US-[A-Z]{2}$/)
    })

    it('filters holds by status, requester, last 4 digits and chain day, and counts both kinds', async () => {
      const all = (await call('list_card_holds', {}, ACTORS.analyst)) as HoldList
      expect(all).toMatchObject({ activeHolds: 1, releasedHolds: 1, total: 2 })
      const active = (await call(
        'list_card_holds',
        { status: 'active' },
        ACTORS.analyst,
      )) as HoldList
      expect(active.items.map((h) => h.status)).toEqual(['active'])
      expect(active).toMatchObject({ total: 1, activeHolds: 1, releasedHolds: 1 })
      const byOther = (await call(
        'list_card_holds',
        { placedBy: ACTORS.manager.id },
        ACTORS.analyst,
      )) as HoldList
      expect(byOther.total).toBe(0)
      const first = all.items[1] as Hold
      const byDigits = (await call(
        'list_card_holds',
        { card: first.last4 },
        ACTORS.analyst,
      )) as HoldList
      expect(byDigits.items.map((h) => h.holdId)).toContain(first.holdId)
      expect(byDigits.items.every((h) => h.last4 === first.last4)).toBe(true)
      expect(byDigits.total).toBeLessThan(all.total)
      const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
      expect(
        ((await call('list_card_holds', { since: tomorrow }, ACTORS.analyst)) as HoldList).total,
      ).toBe(0)
      const lastWeek = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)
      expect(
        ((await call('list_card_holds', { since: lastWeek }, ACTORS.analyst)) as HoldList).total,
      ).toBe(2)
    })

    it('drafts a campaign for exactly the criteria asked, and the launch targets the same cards', async () => {
      const store = await database.db
        .selectFrom('gift_cards as g')
        .innerJoin('locations as l', 'l.id', 'g.issuing_location_id')
        .select(['l.id', 'l.name', 'l.city', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['l.id', 'l.name', 'l.city'])
        .orderBy('n', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow()
      const draft = (await call(
        'draft_campaign',
        {
          audience: {
            minDaysInactive: 30,
            minBalanceCents: 100,
            maxBalanceCents: 10_000,
            location: store.id,
            status: 'active',
          },
        },
        ACTORS.analyst,
      )) as { campaignId: number; targetCount: number; audience: string }
      expect(draft.audience).toContain(store.id)
      const expected = await database.db
        .selectFrom('gift_cards')
        .select('id')
        .where('issuing_location_id', '=', store.id)
        .where('status', '=', 'active')
        .where('balance_cents', '>=', 100)
        .where('balance_cents', '<=', 10_000)
        .where((eb) =>
          eb.or([
            eb('last_activity_at', '<', new Date(Date.now() - 30 * 86_400_000).toISOString()),
            eb('last_activity_at', 'is', null),
          ]),
        )
        .where('issued_at', '<', new Date(Date.now() - 30 * 86_400_000).toISOString())
        .execute()
      expect(draft.targetCount).toBe(expected.length)
      const launch = (await call(
        'launch_campaign',
        { campaignId: draft.campaignId },
        ACTORS.analyst,
      )) as PendingApproval
      expect(launch.details.targetCount).toBe(draft.targetCount)
      const listed = (await call('list_campaigns', {}, ACTORS.analyst)) as {
        counts: Record<string, number>
        items: {
          campaignId: number
          status: string
          createdBy: string
          audienceCriteria: { locationIds?: string[]; stores?: { name: string }[] }
          approval: { approvalId: number; status: string } | null
        }[]
      }
      const row = listed.items.find((c) => c.campaignId === draft.campaignId)
      expect(row).toMatchObject({
        status: 'pending_approval',
        createdBy: ACTORS.analyst.id,
        approval: { approvalId: launch.approvalId, status: 'pending' },
        audienceCriteria: { locationIds: [store.id], stores: [{ name: store.name }] },
      })
      expect(listed.counts.pending_approval).toBe(1)
      await approve(launch.approvalId)
      const launched = (await call('list_campaigns', { status: 'launched' }, ACTORS.analyst)) as {
        items: { campaignId: number; targetCount: number }[]
      }
      expect(launched.items.map((c) => [c.campaignId, c.targetCount])).toEqual([
        [draft.campaignId, draft.targetCount],
      ])
    })

    it('targets the cards just listed, refusing an id that is no card', async () => {
      const ids = await cards(5)
      const draft = (await call(
        'draft_campaign',
        { audience: { minDaysInactive: 1, minBalanceCents: 1, cardIds: ids } },
        ACTORS.analyst,
      )) as { targetCount: number }
      expect(draft.targetCount).toBeLessThanOrEqual(5)
      const outcome = await kit.executor.call(
        'draft_campaign',
        { audience: { cardIds: [...ids, 'gc_nosuch'] } },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(outcome).toMatchObject({ ok: false, error: { code: 'CARD_NOT_FOUND' } })
      expect(!outcome.ok && outcome.error.message).toContain('gc_nosuch')
      const tooMany = await kit.executor.call(
        'draft_campaign',
        { audience: { cardIds: Array.from({ length: 501 }, (_, i) => `gc_${i}`) } },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(tooMany).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    })

    it('refuses an unknown store in an audience with the closest ones', async () => {
      const outcome = await kit.executor.call(
        'draft_campaign',
        { audience: { location: 'Atlantis Galleria' } },
        { actor: ACTORS.analyst, via: 'cli' },
      )
      expect(outcome).toMatchObject({ ok: false, error: { code: 'LOCATION_NOT_FOUND' } })
      expect(!outcome.ok && outcome.error.message).toMatch(/closest are .*loc_\d{3}/)
    })
  })
}
