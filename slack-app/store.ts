import type { Actor } from '../governance/index.ts'

/** Where a message was posted in Slack. */
export type PostedAt = { channel: string; ts: string }

/** An approval card as posted: where, the status it shows, the agent thread waiting on it. */
export type PostedCard = PostedAt & { agentThread: string | null; shownStatus: string | null }

/** A fraud alert as the alerts channel needs it (the reason not yet pseudonymised). */
export type StoredAlert = {
  id: number
  cardId: string
  rule: string
  score: number
  reason: string | null
  balanceCents: number
}

/**
 * The Slack face's own state (docs/slack.md), kept apart from the approval and alert rows
 * (migration 0019 moved it out of them). The face holds no SQL: the composition root gives it
 * an implementation (`openSlackStore` in app/slack-store.ts).
 */
export type SlackStore = {
  /** Records a Slack event id; false when it was seen before (Slack retries, X-Slack-Retry-Num). */
  claimEvent(eventId: string, body: string): Promise<boolean>
  /** Where an approval card went, and the agent thread waiting on it; it shows `pending`. */
  approvalPosted(approvalId: number, at: PostedAt, agentThread?: string): Promise<void>
  /** Records the status the approval card now shows. */
  approvalShown(approvalId: number, status: string): Promise<void>
  approvalMessage(approvalId: number): Promise<PostedCard | undefined>
  /** Decided requests whose card still shows an earlier state, oldest first. */
  unsyncedApprovals(limit: number): Promise<{ approvalId: number; message: PostedCard }[]>
  /** Pending requests made outside Slack (MCP, the CLI) whose card was never posted. */
  unpostedApprovals(limit: number): Promise<number[]>
  alertPosted(alertId: number, at: PostedAt): Promise<void>
  alertMessage(alertId: number): Promise<PostedAt | undefined>
  /**
   * The id of the last alert the alerts channel considered; undefined before the first round
   * (which posts nothing from before it: the channel is for new alerts).
   */
  alertCursor(): Promise<number | undefined>
  setAlertCursor(alertId: number): Promise<void>
  alert(alertId: number): Promise<StoredAlert | undefined>
}

/** How the face learns who a Slack user is (the roles table; user groups are added on top). */
export type ActorResolver = (actorId: string) => Promise<Actor>
