import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

/**
 * `giftcards slack`: the Slack app in Socket Mode (SLACK_BOT_TOKEN and SLACK_APP_TOKEN): no public
 * URL needed. It also posts approval requests made over MCP or the CLI, and new fraud alerts,
 * every 10 seconds.
 */
export function registerSlack(program: Command, ctx: () => CliContext): void {
  program
    .command('slack')
    .description('run the Slack app in Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN)')
    .action(async () => (await import('../actions/slack.ts')).runSlack(ctx))
}
