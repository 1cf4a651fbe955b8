import type { AnyTool } from './define-tool.ts'
import { draftCampaign } from './draft-campaign.ts'
import { escheatmentReport } from './escheatment-report.ts'
import { explainFraudAlert } from './explain-fraud-alert.ts'
import { findDormantCards } from './find-dormant-cards.ts'
import { forecastBreakage } from './forecast-breakage.ts'
import { getAuditLog } from './get-audit-log.ts'
import { getFraudCase } from './get-fraud-case.ts'
import { getGiftCard } from './get-gift-card.ts'
import { getLiability } from './get-liability.ts'
import { launchCampaign } from './launch-campaign.ts'
import { ledgerMetrics } from './ledger-metrics.ts'
import { listApprovals } from './list-approvals.ts'
import { listCampaigns } from './list-campaigns.ts'
import { listCardHolds } from './list-card-holds.ts'
import { listFraudAlerts } from './list-fraud-alerts.ts'
import { placeCardHold } from './place-card-hold.ts'
import { postJournalEntries } from './post-journal-entries.ts'
import { prepareJournalEntries } from './prepare-journal-entries.ts'
import { productAffinity } from './product-affinity.ts'
import { recommendUpsell } from './recommend-upsell.ts'
import { reconcileLedger } from './reconcile-ledger.ts'
import { releaseCardHold } from './release-card-hold.ts'
import { scanForFraud } from './scan-for-fraud.ts'
import { searchGiftCards } from './search-gift-cards.ts'
import { segmentPurchasers } from './segment-purchasers.ts'
import { updateFraudAlert } from './update-fraud-alert.ts'

/** Every tool, once. The LangGraph, MCP and CLI faces are loops over this list. */
export const TOOLS: readonly AnyTool[] = [
  getGiftCard,
  searchGiftCards,
  getLiability,
  forecastBreakage,
  listFraudAlerts,
  scanForFraud,
  explainFraudAlert,
  getFraudCase,
  updateFraudAlert,
  segmentPurchasers,
  findDormantCards,
  escheatmentReport,
  productAffinity,
  recommendUpsell,
  draftCampaign,
  listCampaigns,
  getAuditLog,
  listApprovals,
  listCardHolds,
  placeCardHold,
  releaseCardHold,
  launchCampaign,
  ledgerMetrics,
  reconcileLedger,
  prepareJournalEntries,
  postJournalEntries,
]

export const toolByName = (name: string): AnyTool | undefined => TOOLS.find((t) => t.name === name)
