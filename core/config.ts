import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Cron } from 'croner'
import { z } from 'zod'
import { DEFAULT_MAX_EVENT_CENTS, MAX_CENTS } from './bounds.ts'
import { GiftCardError } from './errors.ts'
import { isTimeZone } from './time.ts'

/**
 * Configuration comes from the environment only, parsed once by zod. A bad value fails with
 * one line naming the variable and what was expected (CONFIG_INVALID), never a stack trace.
 */

/** Where a launched campaign's audience goes (docs/campaigns.md). */
export const MARKETING_PROVIDERS = ['csv', 'webhook', 'klaviyo', 'braze'] as const
export type MarketingProvider = (typeof MARKETING_PROVIDERS)[number]

/** Where the ledger lives: a SQLite file (the embedded default) or a PostgreSQL server. */
export type DatabaseTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string }

/**
 * The package's own directory (where bin/giftcards.js and package.json are), found from this
 * file's location, never from the working directory: Claude Desktop starts `giftcards mcp`
 * wherever it likes, and the default ledger must be the same file from anywhere.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '')

/**
 * The default SQLite file when DATABASE_URL is unset: `data/giftcards.db` under GIFTCARDS_HOME
 * when it is set (a relative one is taken from the working directory), else under the package.
 */
export function defaultSqlitePath(home?: string): string {
  return resolve(home ?? PACKAGE_ROOT, 'data', 'giftcards.db')
}

/** The default SQLite file when neither DATABASE_URL nor GIFTCARDS_HOME is set. */
export const DEFAULT_SQLITE_PATH = defaultSqlitePath()

/**
 * `DATABASE_URL` unset → data/giftcards.db under `home` (GIFTCARDS_HOME, else the package);
 * `sqlite:PATH` (or `sqlite://PATH`) → that file, `sqlite::memory:` → an in-memory database;
 * `postgres://…` / `postgresql://…` → PostgreSQL.
 */
export function parseDatabaseUrl(url: string | undefined, home?: string): DatabaseTarget {
  if (url === undefined || url.trim() === '')
    return { engine: 'sqlite', path: defaultSqlitePath(home) }
  const value = url.trim()
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value)
    } catch {
      throw configError('DATABASE_URL', 'is not a valid postgres:// URL', value)
    }
    return { engine: 'postgres', url: value }
  }
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '')
    if (path === '') throw configError('DATABASE_URL', 'sqlite: needs a file path', value)
    return { engine: 'sqlite', path }
  }
  throw configError(
    'DATABASE_URL',
    'must be sqlite:PATH or postgres://… (unset means data/giftcards.db in the project or GIFTCARDS_HOME)',
    value,
  )
}

/**
 * How long one model call may take, its retries and their waits included, before the offline
 * planner answers instead (OPENAI_TIMEOUT_MS).
 */
export const DEFAULT_OPENAI_TIMEOUT_MS = 30_000

/**
 * Hours after which a configured source with no newer event is reported stale
 * (FRESHNESS_STALE_HOURS): a day, as a chain's stores sell gift cards every day.
 */
export const DEFAULT_FRESHNESS_STALE_HOURS = 24

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const optionalSecret = z.string().min(1).optional()
const optionalUrl = z.url({ error: 'must be an http(s) URL' }).optional()
const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD')
  .default('USD')

/** A location id as POS platforms make them (`loc_010`, Square's `L8GPX…`). */
const PILOT_LOCATION_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}$/
/** An ISO 3166-2 subdivision, e.g. `US-NY`. */
const PILOT_JURISDICTION = /^[A-Z]{2}-[A-Z0-9]{1,3}$/

/**
 * A comma-separated list (spaces around the commas allowed; empty means none), each entry
 * checked against `pattern`, at most 500 of them (docs/pilot.md).
 */
const commaList = (pattern: RegExp, example: string, normalise = (v: string) => v) =>
  z
    .string()
    .max(60_000)
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((v) => normalise(v.trim()))
        .filter(Boolean),
    )
    .superRefine((values, ctx) => {
      if (values.length > 500)
        ctx.addIssue({ code: 'custom', message: 'names more than 500 entries' })
      const bad = values.find((v) => !pattern.test(v))
      if (bad !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `must be a comma-separated list like ${example}; ${JSON.stringify(bad.slice(0, 40))} is not one`,
        })
    })

/**
 * The scheduled jobs of `giftcards serve` (docs/jobs.md): each one's environment variable and
 * default cron expression, read in the chain's timezone. `off` turns a job off. A new job is one
 * entry here and one definition in app/jobs/.
 */
export const JOB_SCHEDULES = {
  'fraud-scan': { env: 'JOB_FRAUD_SCAN_CRON', cron: '15 6 * * *' },
  'at-risk-digest': { env: 'JOB_AT_RISK_DIGEST_CRON', cron: '0 8 * * 1' },
  'forecast-refit': { env: 'JOB_FORECAST_REFIT_CRON', cron: '0 5 1 * *' },
  'journal-close': { env: 'JOB_JOURNAL_CLOSE_CRON', cron: '0 6 2 * *' },
} as const

export type JobName = keyof typeof JOB_SCHEDULES

/** A 5- or 6-field cron expression croner accepts, or `off`. */
const cronSetting = (fallback: string) =>
  z
    .string()
    .max(200)
    .default(fallback)
    .transform((v) => v.trim())
    .refine(
      (v) => {
        if (v.toLowerCase() === 'off') return true
        try {
          new Cron(v, { paused: true }).stop()
          return true
        } catch {
          return false
        }
      },
      { message: 'must be a cron expression such as "15 6 * * *", or off' },
    )

const jobEnv = Object.fromEntries(
  Object.values(JOB_SCHEDULES).map((j) => [j.env, cronSetting(j.cron)]),
) as Record<(typeof JOB_SCHEDULES)[JobName]['env'], ReturnType<typeof cronSetting>>

const envSchema = z.object({
  ...jobEnv,
  JOBS_STALE_AFTER_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SLACK_DIGEST_CHANNEL: z.string().min(1).max(100).optional(),
  DATABASE_URL: z.string().optional(),
  GIFTCARDS_HOME: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DEMO_CARDS: z.coerce.number().int().min(100).max(5_000_000).default(5000),
  SQUARE_WEBHOOK_SIGNATURE_KEY: optionalSecret,
  SQUARE_WEBHOOK_URL: optionalUrl,
  SQUARE_ACCESS_TOKEN: optionalSecret,
  SQUARE_BASE_URL: z
    .url({ error: 'must be an http(s) URL' })
    .default('https://connect.squareup.com'),
  SQUARE_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .default('2025-10-16'),
  SHOPIFY_WEBHOOK_SECRET: optionalSecret,
  SHOPIFY_SHOP_DOMAIN: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.myshopify\.com$/i,
      'must be the shop’s myshopify.com domain (my-shop.myshopify.com)',
    )
    .optional(),
  SHOPIFY_ADMIN_BASE_URL: optionalUrl,
  SHOPIFY_ADMIN_ACCESS_TOKEN: optionalSecret,
  SHOPIFY_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM')
    .default('2025-10'),
  GENERIC_WEBHOOK_SECRET: optionalSecret,
  MAX_EVENT_CENTS: z.coerce.number().int().min(1).max(MAX_CENTS).default(DEFAULT_MAX_EVENT_CENTS),
  FRESHNESS_STALE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(DEFAULT_FRESHNESS_STALE_HOURS),
  LIGHTSPEED_DOMAIN_PREFIX: z
    .string()
    .regex(
      /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i,
      "must be the store's domain prefix (letters, digits, -)",
    )
    .optional(),
  LIGHTSPEED_BASE_URL: optionalUrl,
  LIGHTSPEED_ACCESS_TOKEN: optionalSecret,
  LIGHTSPEED_CURRENCY: currencyCode,
  LIGHTSPEED_R_ACCOUNT_ID: z
    .string()
    .regex(/^\d{1,20}$/, 'must be the numeric R-Series account id')
    .optional(),
  LIGHTSPEED_R_ACCESS_TOKEN: optionalSecret,
  LIGHTSPEED_R_BASE_URL: z
    .url({ error: 'must be an http(s) URL' })
    .default('https://api.lightspeedapp.com'),
  CLOVER_WEBHOOK_AUTH_CODE: optionalSecret,
  CLOVER_MERCHANTS: z
    .string()
    .regex(
      /^$|^[A-Za-z0-9]{1,32}=[^,=\s]{1,500}(,[A-Za-z0-9]{1,32}=[^,=\s]{1,500})*$/,
      'must look like MERCHANTID=ACCESSTOKEN,OTHERMERCHANT=TOKEN',
    )
    .default(''),
  CLOVER_BASE_URL: z.url({ error: 'must be an http(s) URL' }).default('https://api.clover.com'),
  CLOVER_GIFT_CARD_BASE_URL: z
    .url({ error: 'must be an http(s) URL' })
    .default('https://scl.clover.com'),
  CLOVER_GIFT_CARDS_FILE: z.string().min(1).max(4096).optional(),
  CLOVER_CURRENCY: currencyCode,
  ESCHEAT_DEFAULT_DORMANCY_YEARS: z.coerce.number().int().min(1).max(20).default(5),
  NAUPA_HOLDER_TAX_ID: z
    .string()
    .regex(/^\d{9}$/, 'must be the holder’s 9-digit FEIN, digits only')
    .optional(),
  NAUPA_HOLDER_NAME: z.string().min(1).max(40).optional(),
  NAUPA_HOLDER_CITY: z.string().min(1).max(30).optional(),
  NAUPA_HOLDER_STATE: z
    .string()
    .regex(/^[A-Z]{2}-[A-Z]{2}$/, 'must look like US-DE')
    .optional(),
  NAUPA_CONTACT_NAME: z.string().min(1).max(30).optional(),
  NAUPA_CONTACT_PHONE: z
    .string()
    .regex(/^\d{10}$/, 'must be 10 digits')
    .optional(),
  NAUPA_CONTACT_EMAIL: z.email({ error: 'must be an email address' }).max(50).optional(),
  ISSUER_INCORPORATION_STATE: z
    .string()
    .regex(/^[A-Z]{2}-[A-Z]{2}$/, 'must look like US-DE')
    .default('US-DE'),
  OPENAI_API_KEY: optionalSecret,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(DEFAULT_OPENAI_TIMEOUT_MS),
  PII_TOKEN_KEY: optionalSecret,
  AUDIT_KEY: optionalSecret,
  AUDIT_CHECKPOINT_FILE: z.string().min(1).max(4096).optional(),
  AUDIT_CHECKPOINT_URL: optionalUrl,
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  AUDIT_CHECKPOINT_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(300),
  AUTO_HOLD_MIN_SCORE: z.coerce.number().min(0).max(1).optional(),
  APPROVAL_TTL_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
  CAMPAIGN_WEBHOOK_URL: optionalUrl,
  CASE_WEBHOOK_URL: optionalUrl,
  CAMPAIGN_APPROVAL_THRESHOLD_CENTS: z.coerce.number().int().min(0).default(5000),
  CAMPAIGN_EXPORT_DIR: z.string().min(1).default('./data/campaigns'),
  MARKETING_PROVIDER: z.enum(['csv', 'webhook', 'klaviyo', 'braze']).optional(),
  CAMPAIGN_HOLDOUT_SHARE: z.coerce.number().min(0).max(0.5).default(0.1),
  CAMPAIGN_HOLDOUT_SEED: z.string().min(1).max(200).default('giftcards-holdout'),
  KLAVIYO_API_KEY: optionalSecret,
  KLAVIYO_BASE_URL: z.url({ error: 'must be an http(s) URL' }).default('https://a.klaviyo.com'),
  KLAVIYO_TEMPLATE_ID: z.string().min(1).max(64).optional(),
  KLAVIYO_FROM_EMAIL: z.email({ error: 'must be an email address' }).max(254).optional(),
  KLAVIYO_FROM_LABEL: z.string().min(1).max(100).optional(),
  BRAZE_API_KEY: optionalSecret,
  BRAZE_REST_ENDPOINT: optionalUrl,
  BRAZE_CAMPAIGN_ID: z.string().min(1).max(64).optional(),
  FORECAST_BOOTSTRAP: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(10, { error: 'must be at least 10' })
    .max(2000, { error: 'must be at most 2000' })
    .default(200),
  JOURNAL_ACCOUNTS: z.string().min(1).max(4096).optional(),
  JOURNAL_BREAKAGE_RATE: z.coerce.number().min(0).max(1).optional(),
  QUICKBOOKS_BASE_URL: z
    .url({ error: 'must be an http(s) URL' })
    .default('https://quickbooks.api.intuit.com'),
  QUICKBOOKS_REALM_ID: z
    .string()
    .regex(/^\d{1,32}$/, 'must be the company id (digits) QuickBooks gave at OAuth')
    .optional(),
  QUICKBOOKS_ACCESS_TOKEN: optionalSecret,
  QUICKBOOKS_MINOR_VERSION: z.coerce.number().int().min(1).max(999).default(75),
  MCP_ALLOWED_HOSTS: z.string().default(''),
  DASHBOARD_SESSION_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 7)
    .default(8),
  // Origins the retailer's admin portal is served from (CSP frame-ancestors); unset: no framing.
  DASHBOARD_FRAME_ANCESTORS: z
    .string()
    .max(2000)
    .regex(
      /^$|^(https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?)( +https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?)*$/,
      'must be origins separated by spaces, such as https://admin.example.com https://*.example.com',
    )
    .default(''),
  DASHBOARD_SECURE_COOKIE: z.enum(['auto', 'always', 'never']).default('auto'),
  MCP_MAX_SESSIONS_PER_TOKEN: z.coerce.number().int().min(1).max(1000).default(8),
  MCP_SESSION_IDLE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .default(1800),
  CHAIN_TIMEZONE: z
    .string()
    .refine(isTimeZone, 'must be an IANA timezone such as America/New_York')
    .optional(),
  SLACK_BOT_TOKEN: optionalSecret,
  SLACK_APP_TOKEN: optionalSecret,
  SLACK_SIGNING_SECRET: optionalSecret,
  SLACK_API_URL: optionalUrl,
  SLACK_APPROVALS_CHANNEL: z.string().min(1).optional(),
  SLACK_ALERTS_CHANNEL: z.string().min(1).optional(),
  SLACK_ALERT_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.8),
  PILOT_LOCATIONS: commaList(PILOT_LOCATION_ID, 'loc_001,loc_002'),
  PILOT_JURISDICTIONS: commaList(PILOT_JURISDICTION, 'US-NY,US-NJ', (v) => v.toUpperCase()),
  SLACK_ROLE_GROUPS: z
    .string()
    .regex(
      /^$|^[A-Z0-9]+=(analyst|loss_prevention|manager|admin)(,[A-Z0-9]+=(analyst|loss_prevention|manager|admin))*$/,
      'must look like S0123ABC=manager,S0456DEF=loss_prevention',
    )
    .default(''),
})

export type Config = {
  database: DatabaseTarget
  logLevel: (typeof LOG_LEVELS)[number]
  /** How many cards `npm start` seeds on first run. */
  demoCards: number
  square: {
    /** Both set: Square webhooks are accepted at /webhooks/square. */
    webhookSignatureKey?: string
    webhookUrl?: string
    /** Set: `giftcards sync square` polls the Square API. */
    accessToken?: string
    baseUrl: string
    apiVersion: string
  }
  shopify: {
    webhookSecret?: string
    /**
     * Set (SHOPIFY_SHOP_DOMAIN or SHOPIFY_ADMIN_BASE_URL, with SHOPIFY_ADMIN_ACCESS_TOKEN):
     * `giftcards sync shopify` reads the shop's locations from the Admin GraphQL API, and holds
     * on Shopify cards debit the card through it (docs/pos-sources.md).
     */
    admin?: { baseUrl: string; accessToken: string; apiVersion: string }
  }
  generic: { webhookSecret?: string }
  /**
   * What ingest refuses at the door (docs/pos-vocabulary.md): an event moving more than
   * `maxEventCents`, or reporting a balance above it (MAX_EVENT_CENTS, $1,000,000.00).
   * A configured source whose newest event is older than `staleAfterHours` is reported stale
   * (FRESHNESS_STALE_HOURS, default 24; docs/reconciliation.md).
   */
  ingest: { maxEventCents: number; staleAfterHours: number }
  /** Lightspeed Retail (X-Series): polled by `giftcards sync lightspeed` (no gift card webhooks). */
  lightspeed: {
    /** `https://{LIGHTSPEED_DOMAIN_PREFIX}.retail.lightspeed.app`, or LIGHTSPEED_BASE_URL. */
    baseUrl?: string
    /** A personal token or an OAuth access token. */
    accessToken?: string
    /** The retailer's currency (X-Series amounts carry none). */
    currency: string
    /** Lightspeed Retail (R-Series): `giftcards sync lightspeed --series r`. */
    rSeries: { baseUrl: string; accountId?: string; accessToken?: string }
  }
  /** Clover: order and payment webhooks at /webhooks/clover, balances by `giftcards sync clover`. */
  clover: {
    /** The Clover Auth Code Clover sends as `X-Clover-Auth` once the webhook URL is verified. */
    webhookAuthCode?: string
    /** Merchant id → its API token (REST and gift card API); notifications name the merchant. */
    merchants: Record<string, string>
    /** The REST API (orders, payments): api.clover.com, api.eu.clover.com, a sandbox or a fake. */
    baseUrl: string
    /** The Ecommerce gift card API (balance inquiry): scl.clover.com or a sandbox or a fake. */
    giftCardBaseUrl: string
    /** CSV `card_id,last4,token`: which ledger card a Clover gift card is (docs/pos-sources.md). */
    giftCardsFile?: string
    /** Currency of amounts Clover sends without one. */
    currency: string
  }
  escheatment: {
    /** Years of dormancy before a card is reportable where no rule of the table applies. */
    defaultDormancyYears: number
    /** The issuer's state of incorporation: the claimant when the owner's address is unknown. */
    incorporationState: string
    /**
     * The holder named in the NAUPA files (`giftcards escheatment --naupa`, NAUPA_HOLDER_*);
     * unset tax id: the files are refused (a state rejects a report without the holder's FEIN).
     */
    holder: {
      taxId?: string
      name?: string
      city?: string
      state?: string
      contact?: string
      contactPhone?: string
      email?: string
    }
  }
  /** Set: the agent uses ChatOpenAI; unset: the offline planner. */
  openai: {
    apiKey?: string
    baseUrl?: string
    model: string
    /**
     * How long one model call may take, retries included, before the planner answers
     * (OPENAI_TIMEOUT_MS; loadConfig always sets it, DEFAULT_OPENAI_TIMEOUT_MS when absent).
     */
    timeoutMs?: number
  }
  /** HMAC key of the pseudonymiser; a fixed development key when unset (say so in production). */
  piiTokenKey: string
  /** HMAC key of the audit chain and its checkpoints; a fixed development key when unset. */
  auditKey: string
  /** Where the audit chain's head is anchored (docs/audit.md). */
  audit: {
    /** The append-only file of signed checkpoints; unset only for an in-memory ledger or `off`. */
    checkpointFile?: string
    /** Set: each checkpoint is also POSTed there, signed like the generic webhook. */
    checkpointUrl?: string
    /** A checkpoint after this many appends by one process (AUDIT_CHECKPOINT_EVERY, 1000). */
    checkpointEvery: number
    /** And this often while appends happen, 0 for never (AUDIT_CHECKPOINT_INTERVAL_SECONDS, 300). */
    checkpointIntervalSeconds: number
  }
  approvals: { ttlHours: number }
  /** Set: open alerts scoring at least this file a hold request (docs/fraud-cases.md). */
  fraud: { autoHoldMinScore?: number }
  campaigns: {
    webhookUrl?: string
    approvalThresholdCents: number
    exportDir: string
    /**
     * Where a launch hands its audience (docs/campaigns.md): MARKETING_PROVIDER, else `webhook`
     * when CAMPAIGN_WEBHOOK_URL is set, else `csv` (the file only).
     */
    provider: MarketingProvider
    /** The share of an audience left out as a holdout, and the seed that picks it. */
    holdoutShare: number
    holdoutSeed: string
    klaviyo?: {
      apiKey: string
      baseUrl: string
      templateId?: string
      fromEmail?: string
      fromLabel?: string
    }
    braze?: { apiKey: string; restEndpoint: string; campaignId: string }
  }
  /** Set: a confirmed alert's case file is POSTed here, once (docs/fraud-cases.md). */
  fraudCases: { webhookUrl?: string }
  /**
   * The breakage forecast (docs/analytics.md). FORECAST_BOOTSTRAP: the bootstrap refits behind its
   * 80% interval and each card's confidence (default 200); fewer is faster and the interval
   * noisier (a test that checks a forecast's shape, not its accuracy, sets a few).
   */
  forecast: { bootstrap: number }
  /** The finance close (docs/finance.md): journal entries and where they are posted. */
  finance: {
    /** JOURNAL_ACCOUNTS: the account mapping file (JSON); unset, the defaults of docs/finance.md. */
    accountsFile?: string
    /**
     * JOURNAL_BREAKAGE_RATE: a stated breakage rate (0–1) of the outstanding balance instead of
     * the fitted forecast, for a ledger too young to fit; unset, the forecast.
     */
    breakageRate?: number
    quickbooks: {
      /** QuickBooks Online's API (production, the sandbox or a fake). */
      baseUrl: string
      /** Both set: `post_journal_entries` can post; unset, it says so. */
      realmId?: string
      /** An OAuth 2.0 access token of the realm (refreshing it is the operator's). */
      accessToken?: string
      minorVersion: number
    }
  }
  /** Host names `/mcp` answers to besides localhost (DNS-rebinding protection). */
  mcp: {
    allowedHosts: string[]
    /** Open `/mcp` sessions one bearer token may hold; past it the least recently used closes. */
    maxSessionsPerToken: number
    /** A session unused this long is closed (docs/mcp.md "Sessions"). */
    sessionIdleSeconds: number
  }
  /** `/dashboard` under `serve` (docs/dashboard.md). */
  dashboard: {
    /** How long a signed-in session lasts (DASHBOARD_SESSION_HOURS, 8). */
    sessionHours: number
    /** Origins allowed to frame the dashboard (CSP frame-ancestors); empty: framing refused. */
    frameAncestors: string[]
    /** The session cookie's Secure flag: `auto` sets it when the request came over https. */
    secureCookie: 'auto' | 'always' | 'never'
  }
  /**
   * The pilot (docs/pilot.md): the stores every tool, face, job and report is limited to, named
   * by id (PILOT_LOCATIONS) and/or by jurisdiction (PILOT_JURISDICTIONS); both empty: no pilot,
   * the whole chain. Resolved against the locations table on each call (governance/scope.ts).
   */
  pilot: { locations: string[]; jurisdictions: string[] }
  /**
   * The chain's calendar: the days people type are days in this timezone. Unset: the most
   * common timezone of the stores, else America/New_York (tools/chain-calendar.ts decides).
   */
  chain: { timezone?: string }
  slack: {
    botToken?: string
    /** Socket Mode (`giftcards slack`). */
    appToken?: string
    /** HTTP (`/slack/events` under `giftcards serve`). */
    signingSecret?: string
    /** The Web API base URL (a loopback fake in tests). */
    apiUrl?: string
    approvalsChannel?: string
    alertsChannel?: string
    alertMinScore: number
    /** Slack user group id → the role its members get (when the roles table names none). */
    roleGroups: Record<string, 'analyst' | 'loss_prevention' | 'manager' | 'admin'>
    /** Where the weekly at-risk digest goes (SLACK_DIGEST_CHANNEL, else the alerts channel). */
    digestChannel?: string
  }
  /**
   * The scheduled jobs of `giftcards serve` (docs/jobs.md): each job's cron expression in the
   * chain's timezone, null when off; a running claim whose heartbeat is older than
   * `staleAfterMinutes` belongs to a dead instance and may be taken over.
   */
  jobs: { schedules: Record<JobName, string | null>; staleAfterMinutes: number }
}

/** The pseudonymiser's key when PII_TOKEN_KEY is unset: fine for a demo, not for production. */
export const DEVELOPMENT_PII_KEY = 'giftcards-development-pii-key'

/** The audit chain's key when AUDIT_KEY is unset: fine for a demo, not for production. */
export const DEVELOPMENT_AUDIT_KEY = 'giftcards-development-audit-key'

/**
 * Where the audit checkpoints go when AUDIT_CHECKPOINT_FILE is unset: beside the SQLite file
 * (`giftcards.db` → `giftcards.audit-checkpoints.jsonl`), for PostgreSQL in the default data
 * directory (under GIFTCARDS_HOME when set), named after the server, the database and the
 * schema when the URL pins one (`options=-c search_path=…`); none for an in-memory SQLite ledger.
 */
export function defaultCheckpointFile(target: DatabaseTarget, home?: string): string | undefined {
  if (target.engine === 'sqlite') {
    if (target.path === ':memory:') return undefined
    return `${target.path.replace(/\.(db|sqlite3?)$/i, '')}.audit-checkpoints.jsonl`
  }
  const url = new URL(target.url)
  const schema = /search_path\s*=\s*([^\s,]+)/.exec(url.searchParams.get('options') ?? '')?.[1]
  const name = [
    url.hostname,
    url.port || '5432',
    url.pathname.slice(1) || 'postgres',
    ...(schema ? [schema] : []),
  ].join('-')
  return join(
    dirname(defaultSqlitePath(home)),
    `audit-checkpoints-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`,
  )
}

/**
 * MARKETING_PROVIDER, checked against what it needs: `klaviyo` a key, `braze` a key, its REST
 * endpoint and the API-triggered campaign, `webhook` CAMPAIGN_WEBHOOK_URL. Unset: `webhook` when
 * that URL is set (what a launch did before the providers), else `csv`.
 */
function marketingProvider(e: z.infer<typeof envSchema>): MarketingProvider {
  const provider = e.MARKETING_PROVIDER ?? (e.CAMPAIGN_WEBHOOK_URL ? 'webhook' : 'csv')
  const needs: Record<MarketingProvider, [string, unknown][]> = {
    csv: [],
    webhook: [['CAMPAIGN_WEBHOOK_URL', e.CAMPAIGN_WEBHOOK_URL]],
    klaviyo: [['KLAVIYO_API_KEY', e.KLAVIYO_API_KEY]],
    braze: [
      ['BRAZE_API_KEY', e.BRAZE_API_KEY],
      ['BRAZE_REST_ENDPOINT', e.BRAZE_REST_ENDPOINT],
      ['BRAZE_CAMPAIGN_ID', e.BRAZE_CAMPAIGN_ID],
    ],
  }
  for (const [name, value] of needs[provider])
    if (!value)
      throw configError(name, `must be set when MARKETING_PROVIDER is ${provider}`, undefined)
  return provider
}

/** AUDIT_CHECKPOINT_FILE: a path, `off` for none, unset for the default beside the ledger. */
function checkpointFile(
  value: string | undefined,
  target: DatabaseTarget,
  home: string | undefined,
): string | undefined {
  if (value === undefined) return defaultCheckpointFile(target, home)
  return value.trim().toLowerCase() === 'off' ? undefined : value
}

/** Parses the environment (default: process.env) into a Config, or throws CONFIG_INVALID. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'environment')
    throw configError(name, issue?.message ?? 'is invalid', env[name])
  }
  const e = parsed.data
  const cloverMerchants = Object.fromEntries(
    e.CLOVER_MERCHANTS.split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  )
  if (e.CLOVER_WEBHOOK_AUTH_CODE && Object.keys(cloverMerchants).length === 0) {
    throw configError(
      'CLOVER_MERCHANTS',
      'must be set with CLOVER_WEBHOOK_AUTH_CODE (notifications only name objects; they are fetched with the merchant token)',
      undefined,
    )
  }
  if (
    Boolean(e.SHOPIFY_SHOP_DOMAIN || e.SHOPIFY_ADMIN_BASE_URL) !==
    Boolean(e.SHOPIFY_ADMIN_ACCESS_TOKEN)
  ) {
    throw configError(
      e.SHOPIFY_ADMIN_ACCESS_TOKEN ? 'SHOPIFY_SHOP_DOMAIN' : 'SHOPIFY_ADMIN_ACCESS_TOKEN',
      'must be set with the other of SHOPIFY_SHOP_DOMAIN (or SHOPIFY_ADMIN_BASE_URL) and SHOPIFY_ADMIN_ACCESS_TOKEN (the Admin API needs both)',
      undefined,
    )
  }
  const lightspeedBaseUrl =
    e.LIGHTSPEED_BASE_URL ??
    (e.LIGHTSPEED_DOMAIN_PREFIX
      ? `https://${e.LIGHTSPEED_DOMAIN_PREFIX.toLowerCase()}.retail.lightspeed.app`
      : undefined)
  const shopifyAdminUrl =
    e.SHOPIFY_ADMIN_BASE_URL ??
    (e.SHOPIFY_SHOP_DOMAIN ? `https://${e.SHOPIFY_SHOP_DOMAIN.toLowerCase()}` : undefined)
  if (e.SQUARE_WEBHOOK_SIGNATURE_KEY && !e.SQUARE_WEBHOOK_URL) {
    throw configError(
      'SQUARE_WEBHOOK_URL',
      'must be set with SQUARE_WEBHOOK_SIGNATURE_KEY (it is part of what Square signs)',
      undefined,
    )
  }
  const provider = marketingProvider(e)
  const database = parseDatabaseUrl(e.DATABASE_URL, e.GIFTCARDS_HOME)
  const auditCheckpointFile = checkpointFile(e.AUDIT_CHECKPOINT_FILE, database, e.GIFTCARDS_HOME)
  return {
    database,
    logLevel: e.LOG_LEVEL,
    demoCards: e.DEMO_CARDS,
    square: {
      ...(e.SQUARE_WEBHOOK_SIGNATURE_KEY
        ? { webhookSignatureKey: e.SQUARE_WEBHOOK_SIGNATURE_KEY }
        : {}),
      ...(e.SQUARE_WEBHOOK_URL ? { webhookUrl: e.SQUARE_WEBHOOK_URL } : {}),
      ...(e.SQUARE_ACCESS_TOKEN ? { accessToken: e.SQUARE_ACCESS_TOKEN } : {}),
      baseUrl: e.SQUARE_BASE_URL.replace(/\/+$/, ''),
      apiVersion: e.SQUARE_API_VERSION,
    },
    shopify: {
      ...(e.SHOPIFY_WEBHOOK_SECRET ? { webhookSecret: e.SHOPIFY_WEBHOOK_SECRET } : {}),
      ...(shopifyAdminUrl && e.SHOPIFY_ADMIN_ACCESS_TOKEN
        ? {
            admin: {
              baseUrl: shopifyAdminUrl.replace(/\/+$/, ''),
              accessToken: e.SHOPIFY_ADMIN_ACCESS_TOKEN,
              apiVersion: e.SHOPIFY_API_VERSION,
            },
          }
        : {}),
    },
    generic: e.GENERIC_WEBHOOK_SECRET ? { webhookSecret: e.GENERIC_WEBHOOK_SECRET } : {},
    ingest: { maxEventCents: e.MAX_EVENT_CENTS, staleAfterHours: e.FRESHNESS_STALE_HOURS },
    lightspeed: {
      ...(lightspeedBaseUrl ? { baseUrl: lightspeedBaseUrl.replace(/\/+$/, '') } : {}),
      ...(e.LIGHTSPEED_ACCESS_TOKEN ? { accessToken: e.LIGHTSPEED_ACCESS_TOKEN } : {}),
      currency: e.LIGHTSPEED_CURRENCY,
      rSeries: {
        baseUrl: e.LIGHTSPEED_R_BASE_URL.replace(/\/+$/, ''),
        ...(e.LIGHTSPEED_R_ACCOUNT_ID ? { accountId: e.LIGHTSPEED_R_ACCOUNT_ID } : {}),
        ...(e.LIGHTSPEED_R_ACCESS_TOKEN ? { accessToken: e.LIGHTSPEED_R_ACCESS_TOKEN } : {}),
      },
    },
    clover: {
      ...(e.CLOVER_WEBHOOK_AUTH_CODE ? { webhookAuthCode: e.CLOVER_WEBHOOK_AUTH_CODE } : {}),
      merchants: cloverMerchants,
      baseUrl: e.CLOVER_BASE_URL.replace(/\/+$/, ''),
      giftCardBaseUrl: e.CLOVER_GIFT_CARD_BASE_URL.replace(/\/+$/, ''),
      ...(e.CLOVER_GIFT_CARDS_FILE ? { giftCardsFile: e.CLOVER_GIFT_CARDS_FILE } : {}),
      currency: e.CLOVER_CURRENCY,
    },
    escheatment: {
      defaultDormancyYears: e.ESCHEAT_DEFAULT_DORMANCY_YEARS,
      incorporationState: e.ISSUER_INCORPORATION_STATE,
      holder: {
        ...(e.NAUPA_HOLDER_TAX_ID ? { taxId: e.NAUPA_HOLDER_TAX_ID } : {}),
        ...(e.NAUPA_HOLDER_NAME ? { name: e.NAUPA_HOLDER_NAME } : {}),
        ...(e.NAUPA_HOLDER_CITY ? { city: e.NAUPA_HOLDER_CITY } : {}),
        ...(e.NAUPA_HOLDER_STATE ? { state: e.NAUPA_HOLDER_STATE } : {}),
        ...(e.NAUPA_CONTACT_NAME ? { contact: e.NAUPA_CONTACT_NAME } : {}),
        ...(e.NAUPA_CONTACT_PHONE ? { contactPhone: e.NAUPA_CONTACT_PHONE } : {}),
        ...(e.NAUPA_CONTACT_EMAIL ? { email: e.NAUPA_CONTACT_EMAIL } : {}),
      },
    },
    openai: {
      ...(e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY } : {}),
      ...(e.OPENAI_BASE_URL ? { baseUrl: e.OPENAI_BASE_URL.replace(/\/+$/, '') } : {}),
      model: e.OPENAI_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
    },
    piiTokenKey: e.PII_TOKEN_KEY ?? DEVELOPMENT_PII_KEY,
    auditKey: e.AUDIT_KEY ?? DEVELOPMENT_AUDIT_KEY,
    audit: {
      ...(auditCheckpointFile ? { checkpointFile: auditCheckpointFile } : {}),
      ...(e.AUDIT_CHECKPOINT_URL ? { checkpointUrl: e.AUDIT_CHECKPOINT_URL } : {}),
      checkpointEvery: e.AUDIT_CHECKPOINT_EVERY,
      checkpointIntervalSeconds: e.AUDIT_CHECKPOINT_INTERVAL_SECONDS,
    },
    approvals: { ttlHours: e.APPROVAL_TTL_HOURS },
    fraud: {
      ...(e.AUTO_HOLD_MIN_SCORE !== undefined ? { autoHoldMinScore: e.AUTO_HOLD_MIN_SCORE } : {}),
    },
    campaigns: {
      ...(e.CAMPAIGN_WEBHOOK_URL ? { webhookUrl: e.CAMPAIGN_WEBHOOK_URL } : {}),
      approvalThresholdCents: e.CAMPAIGN_APPROVAL_THRESHOLD_CENTS,
      exportDir: e.CAMPAIGN_EXPORT_DIR,
      provider,
      holdoutShare: e.CAMPAIGN_HOLDOUT_SHARE,
      holdoutSeed: e.CAMPAIGN_HOLDOUT_SEED,
      ...(e.KLAVIYO_API_KEY
        ? {
            klaviyo: {
              apiKey: e.KLAVIYO_API_KEY,
              baseUrl: e.KLAVIYO_BASE_URL.replace(/\/+$/, ''),
              ...(e.KLAVIYO_TEMPLATE_ID ? { templateId: e.KLAVIYO_TEMPLATE_ID } : {}),
              ...(e.KLAVIYO_FROM_EMAIL ? { fromEmail: e.KLAVIYO_FROM_EMAIL } : {}),
              ...(e.KLAVIYO_FROM_LABEL ? { fromLabel: e.KLAVIYO_FROM_LABEL } : {}),
            },
          }
        : {}),
      ...(e.BRAZE_API_KEY && e.BRAZE_REST_ENDPOINT && e.BRAZE_CAMPAIGN_ID
        ? {
            braze: {
              apiKey: e.BRAZE_API_KEY,
              restEndpoint: e.BRAZE_REST_ENDPOINT.replace(/\/+$/, ''),
              campaignId: e.BRAZE_CAMPAIGN_ID,
            },
          }
        : {}),
    },
    fraudCases: { ...(e.CASE_WEBHOOK_URL ? { webhookUrl: e.CASE_WEBHOOK_URL } : {}) },
    forecast: { bootstrap: e.FORECAST_BOOTSTRAP },
    slack: {
      ...(e.SLACK_BOT_TOKEN ? { botToken: e.SLACK_BOT_TOKEN } : {}),
      ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
      ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
      ...(e.SLACK_API_URL ? { apiUrl: e.SLACK_API_URL.replace(/\/*$/, '/') } : {}),
      ...(e.SLACK_APPROVALS_CHANNEL ? { approvalsChannel: e.SLACK_APPROVALS_CHANNEL } : {}),
      ...(e.SLACK_ALERTS_CHANNEL ? { alertsChannel: e.SLACK_ALERTS_CHANNEL } : {}),
      ...((e.SLACK_DIGEST_CHANNEL ?? e.SLACK_ALERTS_CHANNEL)
        ? { digestChannel: e.SLACK_DIGEST_CHANNEL ?? e.SLACK_ALERTS_CHANNEL }
        : {}),
      alertMinScore: e.SLACK_ALERT_MIN_SCORE,
      roleGroups: Object.fromEntries(
        e.SLACK_ROLE_GROUPS.split(',')
          .filter(Boolean)
          .map(
            (pair) =>
              pair.split('=') as [string, 'analyst' | 'loss_prevention' | 'manager' | 'admin'],
          ),
      ),
    },
    chain: e.CHAIN_TIMEZONE ? { timezone: e.CHAIN_TIMEZONE } : {},
    jobs: {
      schedules: Object.fromEntries(
        Object.entries(JOB_SCHEDULES).map(([name, j]) => {
          const value = e[j.env]
          return [name, value.toLowerCase() === 'off' ? null : value]
        }),
      ) as Record<JobName, string | null>,
      staleAfterMinutes: e.JOBS_STALE_AFTER_MINUTES,
    },
    finance: {
      ...(e.JOURNAL_ACCOUNTS ? { accountsFile: e.JOURNAL_ACCOUNTS } : {}),
      ...(e.JOURNAL_BREAKAGE_RATE !== undefined ? { breakageRate: e.JOURNAL_BREAKAGE_RATE } : {}),
      quickbooks: {
        baseUrl: e.QUICKBOOKS_BASE_URL.replace(/\/+$/, ''),
        ...(e.QUICKBOOKS_REALM_ID ? { realmId: e.QUICKBOOKS_REALM_ID } : {}),
        ...(e.QUICKBOOKS_ACCESS_TOKEN ? { accessToken: e.QUICKBOOKS_ACCESS_TOKEN } : {}),
        minorVersion: e.QUICKBOOKS_MINOR_VERSION,
      },
    },
    mcp: {
      allowedHosts: e.MCP_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      maxSessionsPerToken: e.MCP_MAX_SESSIONS_PER_TOKEN,
      sessionIdleSeconds: e.MCP_SESSION_IDLE_SECONDS,
    },
    dashboard: {
      sessionHours: e.DASHBOARD_SESSION_HOURS,
      frameAncestors: e.DASHBOARD_FRAME_ANCESTORS.split(' ').filter(Boolean),
      secureCookie: e.DASHBOARD_SECURE_COOKIE,
    },
    pilot: {
      locations: [...new Set(e.PILOT_LOCATIONS)],
      jurisdictions: [...new Set(e.PILOT_JURISDICTIONS)],
    },
  }
}

function configError(name: string, problem: string, value: unknown): GiftCardError {
  const shown = value === undefined ? '' : ` (got ${JSON.stringify(redact(String(value)))})`
  return new GiftCardError('CONFIG_INVALID', `${name} ${problem}${shown}`)
}

/** Hides a password in a URL before it is printed. */
function redact(value: string): string {
  return value.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')
}
