import { createServices, resumeLeftApprovals, slackDeps, startAgent } from '../../app/index.ts'
import { createLogger, describeError, GiftCardError } from '../../core/index.ts'
import { createSlackApp } from '../../slack-app/index.ts'
import type { CliContext } from '../context.ts'

export async function runSlack(ctx: () => CliContext): Promise<void> {
  const context = ctx()
  const { botToken, appToken } = context.config.slack
  if (!botToken || !appToken)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'SLACK_BOT_TOKEN and SLACK_APP_TOKEN must both be set for Socket Mode (see slack-app/manifest.json)',
    )
  const logger = createLogger(context.config.logLevel)
  const database = await context.openDb()
  const { agent, toolkit } = await startAgent(createServices(database, context.config, { logger }))
  const slack = createSlackApp(slackDeps(database, context.config, agent, logger), {
    socketMode: true,
  })
  await slack.app.start()
  console.log('Slack app connected in Socket Mode')
  // Decisions made in this process execute here: resume what a stopped one left approved.
  await resumeLeftApprovals(toolkit, { id: 'system:slack', role: null, via: 'slack' }, logger)
  const publish = () =>
    Promise.all([
      slack.publishPendingApprovals(),
      slack.publishNewAlerts(),
      slack.syncDecidedApprovals(),
    ]).catch((err) => logger.warn({ err: describeError(err) }, 'could not post to Slack'))
  await publish()
  const timer = setInterval(() => void publish(), 10_000)
  await new Promise<void>((resolve) => {
    const stop = async () => {
      clearInterval(timer)
      await slack.app.stop()
      await agent.close()
      await database.close()
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
