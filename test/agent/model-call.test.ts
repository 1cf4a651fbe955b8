import { AIMessage } from '@langchain/core/messages'
import { describe, expect, it } from 'vitest'
import {
  approvalLine,
  isRetryable,
  normaliseReply,
  oneLine,
  retryAfterMs,
} from '../../agent/index.ts'
import type { PendingApproval } from '../../tools/index.ts'

/** An endpoint's error as ChatOpenAI throws it: a status, headers, OpenAI's error code. */
const httpError = (status: number, headers: Record<string, string> = {}, code?: string) =>
  Object.assign(new Error(`${status} failed`), { status, headers: new Headers(headers), code })

class APIConnectionError extends Error {}

describe('how a failed model request is tried again', () => {
  it('reads retry-after-ms, Retry-After in seconds and as an HTTP date', () => {
    const now = Date.parse('2026-12-01T10:00:00Z')
    expect(retryAfterMs(httpError(429, { 'retry-after-ms': '250' }), now)).toBe(250)
    expect(retryAfterMs(httpError(429, { 'retry-after': '2' }), now)).toBe(2000)
    expect(retryAfterMs(httpError(503, { 'retry-after': '0.5' }), now)).toBe(500)
    expect(
      retryAfterMs(httpError(503, { 'retry-after': 'Tue, 01 Dec 2026 10:00:03 GMT' }), now),
    ).toBe(3000)
    expect(
      retryAfterMs(httpError(503, { 'retry-after': 'Tue, 01 Dec 2026 09:00:00 GMT' }), now),
    ).toBe(0)
    expect(retryAfterMs(httpError(503, { 'retry-after': 'soon' }), now)).toBeUndefined()
    expect(retryAfterMs(httpError(503), now)).toBeUndefined()
    expect(retryAfterMs(new Error('no headers'), now)).toBeUndefined()
  })

  it('retries 408, 429, 5xx and a refused connection; not 4xx or an exhausted quota', () => {
    for (const status of [408, 429, 500, 502, 503, 504])
      expect(isRetryable(httpError(status))).toBe(true)
    for (const status of [400, 401, 403, 404, 422])
      expect(isRetryable(httpError(status))).toBe(false)
    expect(isRetryable(httpError(429, {}, 'insufficient_quota'))).toBe(false)
    expect(isRetryable(new APIConnectionError('Connection error.'))).toBe(true)
    expect(isRetryable(new Error('something of ours'))).toBe(false)
  })

  it('shows an error as its first line, short', () => {
    const err = new Error(
      '429 Rate limit reached\n\nTroubleshooting URL: https://docs.langchain.com/oss/javascript/langchain/errors/MODEL_RATE_LIMIT/\n',
    )
    expect(oneLine(err)).toBe('429 Rate limit reached')
    expect(oneLine(new Error('x'.repeat(300)))).toHaveLength(121)
  })
})

describe("the model's answer as the graph keeps it", () => {
  it('gives every tool call an id and keeps a call with broken arguments, with {} as its arguments', () => {
    const reply = normaliseReply(
      new AIMessage({
        content: '',
        tool_calls: [{ name: 'get_liability', args: {}, type: 'tool_call' }],
        invalid_tool_calls: [
          {
            name: 'get_gift_card',
            args: '{card: 1}',
            id: 'call_7',
            error: 'bad',
            type: 'invalid_tool_call',
          },
        ],
      }),
    )
    expect(reply.tool_calls?.map((c) => [c.name, c.args, typeof c.id])).toEqual([
      ['get_liability', {}, 'string'],
      ['get_gift_card', {}, 'string'],
    ])
    expect(reply.tool_calls?.[1]?.id).toBe('call_7')
    expect(reply.invalid_tool_calls).toEqual([
      {
        name: 'get_gift_card',
        args: '{card: 1}',
        id: 'call_7',
        error: 'bad',
        type: 'invalid_tool_call',
      },
    ])
  })
})

describe('the line a reply ends with when it filed an approval', () => {
  const pending = (approvalId: number): PendingApproval => ({
    status: 'pending_approval',
    approvalId,
    action: 'place_card_hold',
    summary: `Hold card gc_0000000${approvalId} (…1234, balance $20.00): fraud alert`,
    details: {},
    expiresAt: '2026-12-02T10:00:00.000Z',
    approvers: 'a manager other than cli:lp',
  })

  it('is nothing when the reply names each approval and says it is pending', () => {
    expect(approvalLine([], 'Done.')).toBeNull()
    expect(approvalLine([pending(4)], 'Approval #4 is pending a manager.')).toBeNull()
    expect(
      approvalLine([pending(4)], "I've filed approval request #4; it waits for a manager."),
    ).toBeNull()
  })

  it('says which approvals are pending otherwise', () => {
    expect(approvalLine([pending(4)], 'The hold is placed.')).toBe(
      'Approval #4 (Hold card gc_00000004 (…1234, balance $20.00)) is filed and pending: a manager other than the requester must approve, and nothing changes until then.',
    )
    expect(approvalLine([pending(4)], 'Approval #44 is pending.')).not.toBeNull()
    expect(approvalLine([pending(4), pending(5)], 'Approval #4 is pending.')).toMatch(
      /^Approvals #4 \(Hold card gc_00000004 [^)]*\)\), #5 \(.*\) are filed and pending: /,
    )
  })
})
