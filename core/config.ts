import { z } from 'zod'
import { GiftCardError } from './errors.ts'

/**
 * Configuration comes from the environment only, parsed once by zod. A bad value fails with
 * one line naming the variable and what was expected (CONFIG_INVALID), never a stack trace.
 */

/** Where the ledger lives: a SQLite file (the embedded default) or a PostgreSQL server. */
export type DatabaseTarget =
  | { engine: 'sqlite'; path: string }
  | { engine: 'postgres'; url: string }

/** The default SQLite file when DATABASE_URL is unset. */
export const DEFAULT_SQLITE_PATH = './data/giftcards.db'

/**
 * `DATABASE_URL` unset → ./data/giftcards.db; `sqlite:PATH` (or `sqlite://PATH`) → that file,
 * `sqlite::memory:` → an in-memory database; `postgres://…` / `postgresql://…` → PostgreSQL.
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (url === undefined || url.trim() === '') return { engine: 'sqlite', path: DEFAULT_SQLITE_PATH }
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
    'must be sqlite:PATH or postgres://… (unset means ./data/giftcards.db)',
    value,
  )
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const envSchema = z.object({
  DATABASE_URL: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DEMO_CARDS: z.coerce.number().int().min(100).max(5_000_000).default(5000),
})

export type Config = {
  database: DatabaseTarget
  logLevel: (typeof LOG_LEVELS)[number]
  /** How many cards `npm start` seeds on first run. */
  demoCards: number
}

/** Parses the environment (default: process.env) into a Config, or throws CONFIG_INVALID. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = String(issue?.path[0] ?? 'environment')
    throw configError(name, issue?.message ?? 'is invalid', env[name])
  }
  return {
    database: parseDatabaseUrl(parsed.data.DATABASE_URL),
    logLevel: parsed.data.LOG_LEVEL,
    demoCards: parsed.data.DEMO_CARDS,
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
