import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'

/**
 * How far a request's `X-Slack-Request-Timestamp` may be from our clock, either way. Slack's
 * rule (https://api.slack.com/authentication/verifying-requests-from-slack): a request whose
 * timestamp is more than five minutes from local time could be a replay; ignore it.
 */
export const SLACK_TIMESTAMP_TOLERANCE_S = 5 * 60

/**
 * Why a Slack request's timestamp is refused, or undefined when it is within five minutes of
 * `nowMs`, before or after. The header is read as Bolt reads it (`Number`), so whatever Bolt
 * would take as a time is checked; a missing or unreadable one is left to Bolt's verifier, which
 * refuses it (and lets Slack's unsigned `ssl_check` through).
 */
export function slackTimestampProblem(
  header: string | string[] | undefined,
  nowMs: number,
): string | undefined {
  if (typeof header !== 'string') return undefined
  const seconds = Number(header)
  if (Number.isNaN(seconds)) return undefined
  const skew = seconds - Math.floor(nowMs / 1000)
  if (Math.abs(skew) <= SLACK_TIMESTAMP_TOLERANCE_S) return undefined
  return skew > 0 ? 'the request is timestamped in the future' : 'the request is stale'
}

/**
 * Wraps Bolt's HTTP listener: a request timestamped more than five minutes from now is answered
 * 401 before Bolt sees it. Bolt 5 refuses only old timestamps, so a request signed ahead of
 * time (10 minutes in the future) would otherwise be accepted and replayable until then.
 */
export function refuseSkewedSlackRequests(
  listener: RequestListener,
  now: () => number = Date.now,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const problem = slackTimestampProblem(req.headers['x-slack-request-timestamp'], now())
    if (!problem) return listener(req, res)
    // The body is not read: drop it with the connection rather than buffer it.
    res.writeHead(401, { 'content-type': 'text/plain', connection: 'close' })
    res.end(`X-Slack-Request-Timestamp refused: ${problem}`)
  }
}
