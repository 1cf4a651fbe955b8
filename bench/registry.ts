import { agentBench } from './agent.ts'
import { analyticsBench } from './analytics.ts'
import { auditBench } from './audit.ts'
import { chartsBench } from './charts.ts'
import { checkoutBench } from './checkout.ts'
import { copyBench } from './copy.ts'
import { dashboardBench } from './dashboard.ts'
import { evalsBench } from './evals.ts'
import { freshnessBench } from './freshness.ts'
import { importBench } from './import.ts'
import { journalBench } from './journal.ts'
import { masterDataBench } from './master-data.ts'
import { mcpBench } from './mcp.ts'
import { metricsBench } from './metrics.ts'
import { multiInstanceBench } from './multi-instance.ts'
import { naupaBench } from './naupa.ts'
import { scrubBench } from './scrub.ts'
import { seedBench } from './seed.ts'
import { soakBench } from './soak.ts'
import { webhooksBench } from './webhooks.ts'

/** Every benchmark by name. */
export const benchmarks: Record<string, (args: string[]) => Promise<void>> = {
  seed: seedBench,
  import: importBench,
  'master-data': masterDataBench,
  webhooks: webhooksBench,
  checkout: checkoutBench,
  analytics: analyticsBench,
  journal: journalBench,
  agent: agentBench,
  mcp: mcpBench,
  evals: evalsBench,
  metrics: metricsBench,
  naupa: naupaBench,
  soak: soakBench,
  audit: auditBench,
  scrub: scrubBench,
  freshness: freshnessBench,
  dashboard: dashboardBench,
  'multi-instance': multiInstanceBench,
  copy: copyBench,
  charts: chartsBench,
}
