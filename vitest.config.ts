import { defineConfig } from 'vitest/config'

/** With VITEST_JSON_REPORT set (.ci/run sets it) a JSON report is written there as well. */
const jsonReport = process.env.VITEST_JSON_REPORT

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
})
