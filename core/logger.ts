import { type Logger, pino } from 'pino'

/**
 * Structured logs, always to stderr: stdout belongs to command output and, for
 * `giftcards mcp`, to the protocol.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: undefined }, pino.destination(2))
}

export type { Logger }
