import { describe, expect, it } from 'vitest'
import { slackTimestampProblem } from '../../slack-app/index.ts'

const NOW_MS = 1_750_000_000_000
const at = (skewSeconds: number) => String(NOW_MS / 1000 + skewSeconds)

describe("Slack's five-minute rule for X-Slack-Request-Timestamp", () => {
  it('takes a timestamp up to five minutes either side of now', () => {
    for (const skew of [0, 300, -300, 299, -1])
      expect(slackTimestampProblem(at(skew), NOW_MS), `${skew} s`).toBeUndefined()
  })

  it('refuses one further ahead or behind', () => {
    expect(slackTimestampProblem(at(301), NOW_MS)).toBe('the request is timestamped in the future')
    expect(slackTimestampProblem(at(600), NOW_MS)).toBe('the request is timestamped in the future')
    expect(slackTimestampProblem(at(-301), NOW_MS)).toBe('the request is stale')
  })

  it('reads the header as Bolt does, so no spelling of a future time slips through', () => {
    const ahead = NOW_MS / 1000 + 600
    for (const spelling of [`+${ahead}`, ` ${ahead} `, `0x${ahead.toString(16)}`, `${ahead}.0`])
      expect(slackTimestampProblem(spelling, NOW_MS), spelling).toBe(
        'the request is timestamped in the future',
      )
  })

  it('leaves a missing or unreadable header to Bolt, which refuses it', () => {
    for (const header of [undefined, 'soon', ['1', '2']])
      expect(slackTimestampProblem(header, NOW_MS)).toBeUndefined()
  })
})
