import { WebClient } from '@slack/web-api'
import type { Config } from '../../core/index.ts'
import type { SlackPoster } from './define-job.ts'

/**
 * The jobs' Slack poster: chat.postMessage through the Web API client the Slack app uses too
 * (@slack/web-api; https://api.slack.com/methods/chat.postMessage), on SLACK_API_URL when set
 * (a loopback fake in tests). Needs only SLACK_BOT_TOKEN: the digest posts whether or not
 * `serve` also receives Slack's events.
 */
export function slackPoster(config: Config): SlackPoster | undefined {
  const { botToken, apiUrl } = config.slack
  if (!botToken) return undefined
  const client = new WebClient(botToken, apiUrl ? { slackApiUrl: apiUrl } : {})
  return {
    async post(message) {
      const reply = await client.chat.postMessage({
        channel: message.channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks as never } : {}),
      })
      return reply.ts ? { ts: reply.ts } : {}
    },
  }
}
