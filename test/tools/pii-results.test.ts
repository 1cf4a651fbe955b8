import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/index.ts'
import { createToolkit, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'

/** A store as a stub or an old import left it, and a card issued there. */
function storeAndCard(id: string, name: string, cardId: string, last4: string) {
  return {
    location: {
      id,
      name,
      city: 'unknown',
      region: 'unknown',
      jurisdiction: 'unknown',
      timezone: 'UTC',
      opened_at: '2020-01-01T00:00:00.000Z',
    },
    card: {
      id: cardId,
      source: 'import' as const,
      gan_last4: last4,
      initial_value_cents: 5000,
      balance_cents: 5000,
      currency: 'USD',
      status: 'active' as const,
      issued_at: '2025-01-01T00:00:00.000Z',
      issuing_location_id: id,
      last_activity_at: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T00:00:00.000Z',
    },
  }
}

for (const dialect of DIALECTS) {
  describe(`personal data in what a store is called, on ${dialect.name} (issue 16)`, () => {
    let kit: Toolkit
    const mateo = storeAndCard('loc_mateo', 'Store of Mateo Chen 716 5550179', 'gc_mateo', '4242')
    // Written before ingest was bounded: its id is its name, 150,000 characters long.
    const huge = storeAndCard('L'.repeat(150_000), 'L'.repeat(150_000), 'gc_huge', '4343')
    useDatabase(dialect, async (database) => {
      await database.db.insertInto('locations').values([mateo.location, huge.location]).execute()
      await database.db.insertInto('gift_cards').values([mateo.card, huge.card]).execute()
      kit = createToolkit(database, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
    })

    const card = async (id: string) => {
      const outcome = await kit.executor.call(
        'get_gift_card',
        { card: id },
        { actor: ACTORS.analyst, via: 'mcp' },
      )
      if (!outcome.ok) throw new Error(outcome.error.message)
      return outcome.data as { store: { id: string; name: string } }
    }

    it('get_gift_card shows the store with the phone number in its name tokenised (defect 5)', async () => {
      const { store } = await card('gc_mateo')
      expect(store).toEqual({
        id: 'loc_mateo',
        name: `Store of Mateo Chen ${kit.pii.scrubText('7165550179')}`,
        city: 'unknown',
        jurisdiction: 'unknown',
      })
      expect(JSON.stringify(store)).not.toMatch(/716|5550179/)
    })

    it('get_gift_card on a card of a store whose id is 150,000 characters completes (defect 1)', async () => {
      const { store } = await card('gc_huge')
      expect(store.name).toHaveLength(150_000)
    })
  })
}
