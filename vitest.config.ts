import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

/** With VITEST_JSON_REPORT set (.ci/run sets it) a JSON report is written there as well. */
const jsonReport = process.env.VITEST_JSON_REPORT

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Every core (vitest leaves one idle by default): much of the suite waits on child processes,
    // and the db suites each use their own schema, so files run side by side (6 min → 4 on 2 cores).
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
})
