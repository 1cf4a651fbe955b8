import { z } from 'zod'
import { configuredSources, createServices, startServer } from '../../app/index.ts'
import { type Config, createLogger } from '../../core/index.ts'
import type { CliContext } from '../context.ts'
import type { Flags } from '../flags.ts'
import { intOption, parseOptions } from '../options.ts'

const serveOptions = z.object({
  port: intOption(0, 65535).default(3000),
  host: z.string().min(1).default('127.0.0.1'),
})

/** The jobs that are on, for the start line (`giftcards jobs list` says more). */
function jobsLine(config: Config): string {
  const on = Object.entries(config.jobs.schedules).filter(([, cron]) => cron !== null)
  return on.length > 0 ? on.map(([name, cron]) => `${name} "${cron}"`).join(', ') : 'all off'
}

export async function runServe(ctx: () => CliContext, raw: Flags): Promise<void> {
  const options = parseOptions(serveOptions, raw)
  const context = ctx()
  const logger = createLogger(context.config.logLevel)
  const database = await context.openDb()
  const server = await startServer(createServices(database, context.config, { logger }), options, {
    jobs: true,
  })
  const sources = configuredSources(context.config).map((s) => s.name)
  console.log(
    `listening on ${server.url} (webhooks: ${sources.length > 0 ? sources.join(', ') : 'none configured'}; MCP at /mcp with bearer tokens; Slack ${server.slack ? 'at /slack/events' : 'off (set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN)'}; jobs: ${jobsLine(context.config)})`,
  )
  await new Promise<void>((resolve) => {
    const stop = async () => {
      await server.close()
      await database.close()
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
