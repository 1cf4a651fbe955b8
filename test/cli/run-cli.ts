import { vi } from 'vitest'
import { main } from '../../cli/program.ts'
import type { Database } from '../../db/index.ts'

/** What one in-process `giftcards` run printed, and its exit code. */
export type CliRun = { code: number; stdout: string; stderr: string }

/** The DATABASE_URL that opens `database` (its own schema on PostgreSQL). */
export function databaseUrl(database: Database): string {
  const { target } = database
  if (target.engine === 'sqlite') return `sqlite:${target.path}`
  const options = encodeURIComponent(`-c search_path=${database.searchPath ?? 'public'}`)
  return `${target.url}${target.url.includes('?') ? '&' : '?'}options=${options}`
}

/**
 * Runs `giftcards ARGS` in this process (main, as bin/giftcards.js does) with only `env`, and
 * collects what it wrote to stdout and stderr. Much faster than a child process (no ~2.5 s of
 * start-up), so the db suites can run the real commands on both engines; spawn bin/giftcards.js
 * only for what a process shows: its exit status and stderr as a shell sees them, a piped stdin,
 * its working directory, signals (docs/architecture.md §1.13).
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
    out.push(`${parts.map(String).join(' ')}\n`)
  })
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    err.push(`${parts.map(String).join(' ')}\n`)
  })
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err.push(String(chunk))
    return true
  })
  // A command that writes a file's text as it is (`fraud case` without --out) skips console.log.
  const print = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out.push(String(chunk))
    return true
  })
  try {
    const code = await main(['node', 'giftcards', ...args], { LOG_LEVEL: 'silent', ...env })
    return { code, stdout: out.join(''), stderr: err.join('') }
  } finally {
    log.mockRestore()
    error.mockRestore()
    write.mockRestore()
    print.mockRestore()
    process.exitCode = undefined
  }
}
