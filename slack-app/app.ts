import { App, type HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt'
import { alertPosts } from './alerts.ts'
import { approvalCards } from './approval-cards.ts'
import { assistantFlow } from './assistant.ts'
import { conversations } from './conversations.ts'
import { createFace, type SlackDeps } from './face.ts'
import { appHome } from './home.ts'

/** Slack's way to reach us: the HTTP receiver under `giftcards serve`, or Socket Mode. */
export type SlackMode = { receiver: HTTPReceiver } | { socketMode: true }

export type SlackApp = {
  app: App
  /** Posts approval requests made outside Slack (MCP, CLI) to SLACK_APPROVALS_CHANNEL. */
  publishPendingApprovals(): Promise<number>
  /** Posts new open alerts at or above SLACK_ALERT_MIN_SCORE to SLACK_ALERTS_CHANNEL. */
  publishNewAlerts(): Promise<number>
  /** Updates cards of requests decided elsewhere (the CLI, MCP's managers) and resumes their threads. */
  syncDecidedApprovals(): Promise<number>
}

/**
 * The Slack face (docs/architecture.md §5, docs/slack.md), a Bolt app split by feature:
 * conversations (mentions, DMs) and the assistant flow, approval cards, alert posts, App Home.
 * It holds no SQL: the agent and the tool executor answer, the approval service decides, and
 * the face's own state lives behind `SlackStore`. Every action goes through the same executor
 * and approval service as the other faces, with via = slack.
 */
export function createSlackApp(deps: SlackDeps, mode: SlackMode): SlackApp {
  const { botToken, apiUrl, appToken } = deps.config.slack
  if (!botToken) throw new Error('SLACK_BOT_TOKEN is required for the Slack app')
  const logLevel = process.env.SLACK_DEBUG ? LogLevel.DEBUG : LogLevel.ERROR
  const clientOptions = apiUrl ? { slackApiUrl: apiUrl } : {}
  // Socket Mode's own client (apps.connections.open) takes the same Web API base URL.
  const receiver =
    'receiver' in mode
      ? mode.receiver
      : new SocketModeReceiver({
          appToken: appToken ?? '',
          logLevel,
          installerOptions: { clientOptions },
        })
  const app = new App({ token: botToken, receiver, clientOptions, logLevel })
  const face = createFace(app, deps)
  const cards = approvalCards(face)
  const chat = conversations(face, cards)
  assistantFlow(face, chat)
  const alerts = alertPosts(face, cards)
  appHome(face)
  // One round at a time in this process, whoever calls (the timer, a new alert, a test): two
  // rounds at once would both see an alert or card as unposted and post it twice.
  let round: Promise<unknown> = Promise.resolve()
  const oneAtATime =
    <T>(work: () => Promise<T>) =>
    (): Promise<T> => {
      const next = round.then(work, work)
      round = next.catch(() => undefined)
      return next
    }
  return {
    app,
    publishPendingApprovals: oneAtATime(cards.publishPending),
    publishNewAlerts: oneAtATime(alerts.publishNew),
    syncDecidedApprovals: oneAtATime(cards.syncDecided),
  }
}
