import { agentBench } from './agent.ts'
import { analyticsBench } from './analytics.ts'
import { evalsBench } from './evals.ts'
import { importBench } from './import.ts'
import { mcpBench } from './mcp.ts'
import { metricsBench } from './metrics.ts'
import { scrubBench } from './scrub.ts'
import { seedBench } from './seed.ts'
import { webhooksBench } from './webhooks.ts'

/** Every benchmark by name. */
export const benchmarks: Record<string, (args: string[]) => Promise<void>> = {
  seed: seedBench,
  import: importBench,
  webhooks: webhooksBench,
  analytics: analyticsBench,
  agent: agentBench,
  mcp: mcpBench,
  evals: evalsBench,
  metrics: metricsBench,
  scrub: scrubBench,
}
