import type { AnyTool } from '../../tools/index.ts'
import { cliAffinity } from './affinity.ts'
import { cliDormant, cliDormantBacktest } from './dormant.ts'
import { cliEscheatment } from './escheatment.ts'
import { cliForecast, cliForecastBacktest } from './forecast.ts'
import { cliFraudAlerts, cliFraudEval, cliFraudScan } from './fraud.ts'
import { cliFraudDeliverCases } from './fraud-cases.ts'
import { cliJournal } from './journal.ts'
import { cliLedgerSummary } from './ledger-summary.ts'
import { cliLiability } from './liability.ts'
import { cliSegments } from './segments.ts'
import { cliUpsellOutcomes } from './upsell.ts'

export * from './affinity.ts'
export * from './define-report.ts'
export * from './dormant.ts'
export * from './escheatment.ts'
export * from './forecast.ts'
export * from './fraud.ts'
export * from './fraud-cases.ts'
export * from './journal.ts'
export * from './ledger-summary.ts'
export * from './liability.ts'
export * from './segments.ts'
export * from './upsell.ts'

/** Every report the CLI's analytics commands run through the executor (cli/session.ts runReport). */
export const CLI_REPORTS: readonly AnyTool[] = [
  cliLiability,
  cliForecast,
  cliForecastBacktest,
  cliFraudScan,
  cliFraudAlerts,
  cliFraudEval,
  cliFraudDeliverCases,
  cliSegments,
  cliDormant,
  cliDormantBacktest,
  cliEscheatment,
  cliAffinity,
  cliLedgerSummary,
  cliUpsellOutcomes,
  cliJournal,
]
