import { describe, expect, it } from 'vitest'
import { runMultiInstance } from '../../bench/multi-instance.ts'

const url = process.env.TEST_DATABASE_URL

/**
 * The load test of bench/multi-instance.ts, small: two `giftcards serve` processes on one
 * PostgreSQL schema, 300 signed deliveries spread over them, the leader killed with SIGKILL half
 * way and started again (docs/concurrency.md, "Many instances, one database"). SQLite runs one
 * instance (no election, no stream), so this is PostgreSQL only.
 */
describe.skipIf(!url)(
  'two serve processes on one PostgreSQL, the leader killed mid-run (skipped without TEST_DATABASE_URL: PostgreSQL only)',
  () => {
    it('applies every 2xx delivery once, keeps balances, and the stream raises the batch scan’s alerts', async () => {
      const result = await runMultiInstance({
        databaseUrl: url as string,
        instances: 2,
        deliveries: 300,
        cards: 40,
        concurrency: 8,
        kill: 0.5,
      })
      expect(result.killed?.wasLeader).toBe(true)
      expect(result.exactlyOnce).toBe(true)
      expect({ missing: result.missing, doubled: result.doubled }).toEqual({
        missing: 0,
        doubled: 0,
      })
      expect(result.balanceMismatches).toBe(0)
      expect(result.deadlocks).toBe(0)
      // Only refused connections (the killed server) were resent: no 5xx.
      expect(Object.keys(result.failures).filter((s) => Number(s) >= 500)).toEqual([])
      // What the batch scan finds on the same ledger: the stream, across the failover, stored
      // each of those alerts, once, and no other.
      expect(result.alerts.length).toBeGreaterThan(0)
      expect(result.unlike).toEqual([])
      expect(result.alerts).toEqual(result.scanned)
      // One leader after the restart, both instances seen, the stream caught up.
      expect(result.health.map((h) => h.role).sort()).toEqual(['follower', 'leader'])
      for (const h of result.health) expect(h.lagEvents).toBe(0)
      expect(new Set(result.health.map((h) => h.leader)).size).toBe(1)
    }, 150_000)
  },
)
