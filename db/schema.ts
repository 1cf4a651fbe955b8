import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type {
  CardStatus,
  Channel,
  EventSource,
  Occasion,
  TransactionResult,
  TransactionType,
} from '../core/index.ts'

/**
 * Kysely types for every table (docs/architecture.md §2). Conventions on both engines:
 * money is integer cents (bigint on PostgreSQL, returned as a JS number), time is UTC ISO 8601
 * text with milliseconds, JSON is stored as text and parsed by the query functions.
 */

export interface LocationsTable {
  id: string
  name: string
  city: string
  region: string
  /** ISO 3166-2, e.g. `US-CA`: decides escheatment rules. */
  jurisdiction: string
  timezone: string
  /** Null for a stub made from an unknown POS location id. */
  latitude: number | null
  longitude: number | null
  opened_at: string
  postal_code: ColumnType<string | null, string | null | undefined, string | null>
  /** ISO 3166-1 alpha-2 (`US`); null for a stub. */
  country: ColumnType<string | null, string | null | undefined, string | null>
  /** When the row last came from master data (0011); null for a stub an event made. */
  master_data_at: ColumnType<string | null, string | null | undefined, string | null>
}

export interface TerminalsTable {
  id: string
  location_id: string
  kind: string
}

/** Cashiers and supervisors; no names are kept for them. */
export interface EmployeesTable {
  id: string
  location_id: string
  role: string
  hired_at: string
}

/** The only table with PII (name, email, phone). Everything else refers to `pseudonym`/`id`. */
export interface CustomersTable {
  id: string
  pseudonym: string
  name: string | null
  email: string | null
  phone: string | null
  /** Last known address state (`US-NY`): the first claimant under unclaimed property law. */
  address_state: string | null
  home_location_id: string | null
  created_at: string
  postal_code: ColumnType<string | null, string | null | undefined, string | null>
  /** The CRM's segment label (`vip`, `employee`), as the export names it. */
  segment: ColumnType<string | null, string | null | undefined, string | null>
  /** When the row last came from master data (0011); null for a stub an event made. */
  master_data_at: ColumnType<string | null, string | null | undefined, string | null>
  /**
   * What the CRM says of marketing to the customer (0021): `subscribed`, `unsubscribed` or
   * `suppressed`; null when it never said. A campaign launch leaves out the last two.
   */
  marketing_consent: ColumnType<string | null, string | null | undefined, string | null>
}

export interface GiftCardsTable {
  id: string
  source: EventSource
  external_id: string | null
  gan_last4: string
  initial_value_cents: number
  balance_cents: number
  currency: string
  status: CardStatus
  issued_at: string
  expires_at: string | null
  issuing_location_id: string | null
  purchaser_customer_id: string | null
  holder_customer_id: string | null
  channel: Channel | null
  occasion: Occasion | null
  /** Last load or redemption (balance checks do not count); never moves backwards. */
  last_activity_at: string | null
  /** `occurred_at` of the newest event reflected in `balance_cents` (ingest's ordering rule). */
  balance_as_of: string | null
  updated_at: string
}

export interface GiftCardTransactionsTable {
  id: Generated<number>
  source: EventSource
  /** Idempotency key, unique together with `source`. */
  event_id: string
  /** Null only for a declined balance check on a number that matches no card. */
  card_id: string | null
  type: TransactionType
  result: ColumnType<TransactionResult, TransactionResult | undefined, TransactionResult>
  /** Signed effect on the balance: loads positive, redemptions negative, checks zero. */
  amount_cents: number
  balance_after_cents: number | null
  currency: string
  occurred_at: string
  location_id: string | null
  terminal_id: string | null
  order_id: string | null
  customer_id: string | null
  employee_id: string | null
}

export interface OrderItemsTable {
  id: Generated<number>
  order_id: string
  sku: string
  category: string
  amount_cents: number
}

export interface WebhookInboxTable {
  id: Generated<number>
  source: string
  event_id: string
  event_type: string | null
  received_at: string
  status: 'pending' | 'processed' | 'ignored' | 'failed'
  attempts: ColumnType<number, number | undefined, number>
  error: string | null
  raw_body: string
  processed_at: string | null
}

export interface FraudAlertsTable {
  id: Generated<number>
  card_id: string
  rule: string
  score: number
  status: 'open' | 'confirmed' | 'dismissed'
  /** JSON: the events that triggered the rule and the figures behind the score. */
  evidence: string
  detected_at: string
  updated_at: string
  updated_by: string | null
  note: string | null
}

export interface CardHoldsTable {
  id: Generated<number>
  card_id: string
  /** The requester's own words, verbatim; empty when they gave none. */
  reason: string
  status: 'active' | 'released'
  /** The approval that placed the hold (its requester and approver are the hold's). */
  approval_id: number | null
  amount_cents: number
  placed_at: string
  released_at: string | null
  pos_reference: string | null
  release_pos_reference: string | null
  /** Who asked for the release (0007). */
  released_by: ColumnType<string | null, string | null | undefined, string | null>
  /** The release requester's own words, verbatim; null when they gave none (0007). */
  release_reason: ColumnType<string | null, string | null | undefined, string | null>
  /** The approval that released the hold (0007). */
  release_approval_id: ColumnType<number | null, number | null | undefined, number | null>
  /** How the hold was enforced: `square`, `shopify`, `lightspeed` or `ledger-only` (0013). */
  pos_connector: ColumnType<string, string | undefined, string>
  /** The POS balance read just before the hold; null when the hold is ledger only (0013). */
  pos_balance_before_cents: ColumnType<number | null, number | null | undefined, number | null>
}

/**
 * A call a hold or release makes to a POS, recorded before it is made (0013,
 * docs/approvals.md "Holds at the POS"): a retried execution repeats it with the same key and
 * amount instead of reading the balance again.
 */
export interface PosHoldCallsTable {
  /** `hold-approval-N` or `release-approval-N`: the POS's idempotency key. */
  idempotency_key: string
  approval_id: number
  /** `undo`: giving back a move whose recording the ledger then refused. */
  kind: 'hold' | 'release' | 'undo'
  card_id: string
  connector: string
  /** started → done (recorded with the hold), or refused / unanswered (the approval failed). */
  state: 'started' | 'done' | 'refused' | 'unanswered'
  ledger_balance_cents: number
  pos_balance_before_cents: number | null
  /** What the call moves: the POS balance for a hold, the amount held for a release. */
  amount_cents: number
  pos_reference: string | null
  error: string | null
  started_at: string
  finished_at: string | null
}

export interface ApprovalRequestsTable {
  id: Generated<number>
  action: string
  /** JSON arguments of the write tool, validated when the request was made. */
  args: string
  summary: string
  reason: string | null
  requested_by: string
  requested_via: 'slack' | 'mcp' | 'cli' | 'agent' | 'http' | 'dashboard'
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'failed'
  decided_by: string | null
  decided_at: string | null
  decision_reason: string | null
  expires_at: string
  executed_at: string | null
  /** JSON: what the execution did (or the error it met). */
  outcome: string | null
  created_at: string
  /** JSON: what the approval card shows (card, balance, alert evidence). */
  details: string | null
}

export interface CampaignsTable {
  id: Generated<number>
  name: string
  segment: string
  offer: string
  message: string
  target_count: number
  target_liability_cents: number
  predicted_uptake: number
  status: 'draft' | 'pending_approval' | 'launched' | 'rejected'
  approval_id: number | null
  created_by: string
  created_at: string
  launched_at: string | null
  /** Where the launch handed the audience (0021): csv, webhook, klaviyo, braze. */
  provider: ColumnType<string | null, string | null | undefined, string | null>
  /** JSON: the provider's own ids (Klaviyo list, campaign and send job; Braze dispatch ids). */
  provider_ref: ColumnType<string | null, string | null | undefined, string | null>
  /** The share of the audience held out at launch. */
  holdout_share: ColumnType<number | null, number | null | undefined, number | null>
  /** JSON: the launch's counts (contacted, holdout, unsubscribed, suppressed, no customer id). */
  launch_counts: ColumnType<string | null, string | null | undefined, string | null>
}

/**
 * Who a launched campaign contacted and who it held out (0021), so its lift is measured on the
 * ledger afterwards (docs/campaigns.md). Cards left out for consent are not rows here.
 */
export interface CampaignMembersTable {
  campaign_id: number
  card_id: string
  arm: 'contacted' | 'holdout'
  created_at: string
}

export interface ForecastsTable {
  id: Generated<number>
  kind: string
  model_version: string
  /** The latest `occurred_at` of the ledger the forecast saw. */
  data_watermark: string | null
  params: string
  result: string
  created_at: string
}

export interface GiftCardPromptsTable {
  id: Generated<number>
  order_id: string
  recommended: number
  amount_cents: number
  message: string
  outcome: string | null
  created_at: string
  /** `checkout` (the POS endpoint) or `agent` (a saved tool call); null before 0009. */
  source: string | null
  location_id: string | null
  score: number | null
  /** When the cashier's outcome was recorded (0009). */
  outcome_at: string | null
  /** The order id of a checkout prompt, unique (a retried checkout gets the same prompt); 0009. */
  checkout_key: string | null
}

export interface ActorsTable {
  /** e.g. `slack:U123`, `mcp:alice`, `cli:ops`. */
  id: string
  role: 'analyst' | 'loss_prevention' | 'manager' | 'admin'
  created_at: string
  updated_at: string
}

export interface ApiTokensTable {
  id: Generated<number>
  actor_id: string
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  token_hash: string
  label: string | null
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface AuditLogTable {
  id: Generated<number>
  at: string
  actor: string
  role: string | null
  via: string
  action: string
  tool: string | null
  input: string | null
  result_summary: string | null
  approval_id: number | null
  model: string | null
  data_watermark: string | null
  prev_hash: string
  hash: string
}

/** Indexes a bulk load dropped and has not rebuilt yet; a crash leaves them here to restore. */
export interface BulkLoadIndexesTable {
  name: string
  table_name: string
  definition: string
}

/** How far an import of one file got: committed together with each batch, for resuming. */
export interface ImportCheckpointsTable {
  /** Path, size and modification time of the file, hashed. */
  key: string
  path: string
  format: string
  /** Last line whose batch is committed. */
  line: number
  applied: number
  duplicates: number
  rejected: number
  started_at: string
  updated_at: string
  completed_at: string | null
}

/** Where a poller stopped, per source (the Square poller keeps its `begin_time` here). */
export interface SyncStateTable {
  source: string
  cursor: string | null
  last_event_at: string | null
  updated_at: string
}

/**
 * The daily rollup (docs/rollups.md): per chain-local day, store, event type and card occasion
 * and channel, the ledger rows' count and signed sum. Rows of type `balance` are keyed by the
 * issuing store and carry the day's change in outstanding balances and in the cards holding
 * one. Written in the transaction that writes the ledger; '' stands for unknown.
 */
export interface LedgerDailyTable {
  type: string
  /** `YYYY-MM-DD` in the chain's time zone (`ledger_rollup.timezone`). */
  day: string
  location_id: string
  occasion: string
  channel: string
  count: number
  amount_cents: number
  /** `balance` rows: cards whose ledger balance went above zero that day. */
  cards_opened: number
  /** `balance` rows: cards whose ledger balance went back to zero that day. */
  cards_closed: number
}

/** The rollup's settings: the time zone its days are in, fixed by its first write. */
/** One void and the event it reverses (docs/pos-vocabulary.md); an event is voided once. */
export interface LedgerVoidsTable {
  source: EventSource
  original_event_id: string
  /** The `void` row's own event id (same source). */
  void_event_id: string
  card_id: string
  /** The type of the event reversed: what the void is rolled up against. */
  original_type: TransactionType
  voided_at: string
}

export interface LedgerRollupTable {
  name: string
  timezone: string
  built_at: string
}

export interface DB {
  locations: LocationsTable
  terminals: TerminalsTable
  employees: EmployeesTable
  customers: CustomersTable
  gift_cards: GiftCardsTable
  gift_card_transactions: GiftCardTransactionsTable
  order_items: OrderItemsTable
  webhook_inbox: WebhookInboxTable
  fraud_alerts: FraudAlertsTable
  card_holds: CardHoldsTable
  pos_hold_calls: PosHoldCallsTable
  approval_requests: ApprovalRequestsTable
  campaigns: CampaignsTable
  campaign_members: CampaignMembersTable
  forecasts: ForecastsTable
  gift_card_prompts: GiftCardPromptsTable
  actors: ActorsTable
  api_tokens: ApiTokensTable
  audit_log: AuditLogTable
  bulk_load_indexes: BulkLoadIndexesTable
  import_checkpoints: ImportCheckpointsTable
  sync_state: SyncStateTable
  ledger_daily: LedgerDailyTable
  ledger_rollup: LedgerRollupTable
  ledger_voids: LedgerVoidsTable
  case_deliveries: CaseDeliveriesTable
  dashboard_sessions: DashboardSessionsTable
  slack_messages: SlackMessagesTable
  job_runs: JobRunsTable
  service_instances: ServiceInstancesTable
  stream_cursors: StreamCursorsTable
  journal_postings: JournalPostingsTable
}

/**
 * Where the Slack face posted an approval card or a fraud alert (migration 0019, docs/slack.md):
 * the Slack face's own bookkeeping, apart from the approval and alert rows.
 */
export interface SlackMessagesTable {
  kind: 'approval' | 'alert'
  /** The approval request's or the alert's id. */
  ref_id: number
  channel: string
  ts: string
  /** The approval status the card shows (a decision made elsewhere is synced to it). */
  shown_status: string | null
  /** The agent thread waiting on the approval, resumed when it is decided elsewhere. */
  agent_thread: string | null
}

/** A journal entry posted to QuickBooks Online, once per month and entry (migration 0017). */
export interface JournalPostingsTable {
  /** `YYYY-MM`, the month the entry closes. */
  month: string
  entry: 'breakage' | 'escheat' | 'true_up'
  /** The entry's DocNumber / External ID (`GCJ-2026-11-BRK`). */
  external_id: string
  /** The `requestid` it was posted with: a retry with it is replayed, not repeated. */
  request_id: string
  approval_id: number
  /** SHA-256 of the approved entries: what the manager saw is what was posted. */
  digest: string
  /** QuickBooks' `JournalEntry.Id`. */
  remote_id: string
  /** The entry's total debits (= credits). */
  amount_cents: number
  /** QuickBooks' answer (the JournalEntry), as JSON. */
  response: string
  posted_at: string
}

/** A confirmed alert's case file, posted to CASE_WEBHOOK_URL once (migration 0015). */
export interface CaseDeliveriesTable {
  alert_id: number
  status: 'pending' | 'delivered'
  attempts: Generated<number>
  last_error: string | null
  created_at: string
  delivered_at: string | null
}

/**
 * One scheduled job's run of one slot (migration 0018, docs/jobs.md). (job, scheduled_for) is
 * unique: inserting the row is claiming the run.
 */
export interface JobRunsTable {
  id: Generated<number>
  job: string
  /** The cron slot this run is for (a manual run: the moment it was asked for). */
  scheduled_for: string
  trigger: 'schedule' | 'catch_up' | 'manual'
  status: 'running' | 'succeeded' | 'failed'
  /** The instance (host:pid:random) that holds the claim. */
  claimed_by: string
  /** 1, plus one per stale-claim takeover. */
  attempts: Generated<number>
  started_at: string
  heartbeat_at: string
  finished_at: string | null
  /** One line for `giftcards jobs history`. */
  summary: string | null
  /** The run's result as JSON (bounded). */
  result: string | null
  error: string | null
}

/** A signed-in dashboard session (migration 0016, docs/dashboard.md). */
export interface DashboardSessionsTable {
  /** SHA-256 (hex) of the session id in the cookie. */
  id_hash: string
  token_id: number
  csrf_token: string
  created_at: string
  expires_at: string
  ended_at: string | null
}

/** A running `giftcards serve` process and its heartbeat (migration 0020, docs/concurrency.md). */
export interface ServiceInstancesTable {
  id: string
  host: string
  pid: number
  started_at: string
  heartbeat_at: string
  /** The job this instance leads ('fraud-stream'), or null. */
  leader_of: string | null
}

/** How far the leader of a once-across-instances job has read the ledger (migration 0020). */
export interface StreamCursorsTable {
  name: string
  /** The last gift_card_transactions id handled. */
  position: number
  /** The id the stream began after: events up to it were never streamed. */
  epoch_start: number
  /** Leadership term that last wrote the row (a fencing token). */
  term: number
  leader: string | null
  updated_at: string
}

export type Location = Selectable<LocationsTable>
export type Customer = Selectable<CustomersTable>
export type GiftCard = Selectable<GiftCardsTable>
export type NewGiftCard = Insertable<GiftCardsTable>
export type GiftCardUpdate = Updateable<GiftCardsTable>
export type CardTransaction = Selectable<GiftCardTransactionsTable>
export type NewCardTransaction = Insertable<GiftCardTransactionsTable>
