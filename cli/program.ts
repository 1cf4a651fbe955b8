import { Command, CommanderError } from 'commander'
import { describeError, isGiftCardError } from '../core/index.ts'
import { registerAffinity } from './commands/affinity.ts'
import { registerApprovals } from './commands/approvals.ts'
import { registerAsk } from './commands/ask.ts'
import { registerAudit } from './commands/audit.ts'
import { registerChat } from './commands/chat.ts'
import { registerDormant } from './commands/dormant.ts'
import { registerEscheatment } from './commands/escheatment.ts'
import { registerEval } from './commands/eval.ts'
import { registerForecast } from './commands/forecast.ts'
import { registerFraud } from './commands/fraud.ts'
import { registerImport } from './commands/import.ts'
import { registerJobs } from './commands/jobs.ts'
import { registerJournal } from './commands/journal.ts'
import { registerLiability } from './commands/liability.ts'
import { registerMcp } from './commands/mcp.ts'
import { registerMigrate } from './commands/migrate.ts'
import { registerReconcile } from './commands/reconcile.ts'
import { registerRoles } from './commands/roles.ts'
import { registerSeed } from './commands/seed.ts'
import { registerSegments } from './commands/segments.ts'
import { registerServe } from './commands/serve.ts'
import { registerSlack } from './commands/slack.ts'
import { registerStart } from './commands/start.ts'
import { registerStatus } from './commands/status.ts'
import { registerSync } from './commands/sync.ts'
import { registerTokens } from './commands/tokens.ts'
import { registerTools } from './commands/tools.ts'
import { registerUpsell } from './commands/upsell.ts'
import { registerWebhooks } from './commands/webhooks.ts'
import type { CliContext, createContext } from './context.ts'

/**
 * The `giftcards` command. Each subcommand's command line (name, arguments, options, help)
 * lives in cli/commands/ and registers itself here; what it does is in cli/actions/, imported
 * only when that command runs, so `--help` and every command load only what they use
 * (docs/architecture.md §1.12). The configuration is parsed once, lazily, so `--help` works
 * even with a bad environment.
 */
export function buildProgram(ctx: () => CliContext): Command {
  const program = new Command()
    .name('giftcards')
    .description('A conversational agent over a retailer’s gift card ledger')
    .showHelpAfterError()
    .exitOverride()
  registerMigrate(program, ctx)
  registerSeed(program, ctx)
  registerStart(program, ctx)
  registerServe(program, ctx)
  registerJobs(program, ctx)
  registerImport(program, ctx)
  registerReconcile(program, ctx)
  registerWebhooks(program, ctx)
  registerStatus(program, ctx)
  registerSync(program, ctx)
  registerFraud(program, ctx)
  registerForecast(program, ctx)
  registerLiability(program, ctx)
  registerEscheatment(program, ctx)
  registerJournal(program, ctx)
  registerSegments(program, ctx)
  registerAffinity(program, ctx)
  registerUpsell(program, ctx)
  registerDormant(program, ctx)
  registerChat(program, ctx)
  registerAsk(program, ctx)
  registerApprovals(program, ctx)
  registerRoles(program, ctx)
  registerAudit(program, ctx)
  registerTools(program, ctx)
  registerMcp(program, ctx)
  registerTokens(program, ctx)
  registerSlack(program, ctx)
  registerEval(program, ctx)
  return program
}

/** Parses argv, runs the command, and turns any failure into one line on stderr. */
export async function main(
  argv: string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  // The context module (the config, the identity, the ledger's opener) is loaded before any
  // action runs, and the context made only when the action asks for it: a command that needs no
  // ledger runs with a bad DATABASE_URL, and a bad flag is reported before a bad variable.
  let create: typeof createContext | undefined
  let context: CliContext | undefined
  const ctx = () => {
    if (!create) throw new Error('the CLI context was asked for before its module was loaded')
    context ??= create(env)
    return context
  }
  try {
    await buildProgram(ctx)
      .hook('preAction', async () => {
        create ??= (await import('./context.ts')).createContext
      })
      .parseAsync(argv)
    // A command that finished but has something to report (rejected rows…) sets exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    console.error(`giftcards: ${describeError(err)}`)
    if (process.env.LOG_LEVEL === 'debug' && err instanceof Error) console.error(err.stack)
    return isGiftCardError(err, 'CONFIG_INVALID') || isGiftCardError(err, 'INVALID_INPUT') ? 2 : 1
  }
}
