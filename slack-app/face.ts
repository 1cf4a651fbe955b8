import type { App } from '@slack/bolt'
import type { WebClient } from '@slack/web-api'
import type { Agent } from '../agent/index.ts'
import type { Config, Logger } from '../core/index.ts'
import type { Actor, Role } from '../governance/index.ts'
import type { Toolkit } from '../tools/index.ts'
import type { ActorResolver, SlackStore } from './store.ts'

/** What the Slack face is made of; the composition root builds it (app/slack-store.ts). */
export type SlackDeps = {
  config: Config
  agent: Agent
  /** The face's own state: posted cards and alerts, claimed events (docs/slack.md). */
  store: SlackStore
  /** Who `slack:<user id>` is in the roles table. */
  resolveActor: ActorResolver
  logger?: Logger
}

/** What every feature module of the face shares: the Bolt app, the tools, who is who. */
export type Face = {
  app: App
  deps: SlackDeps
  toolkit: Toolkit
  /** `slack:<user id>` with the role the roles table gives, or a configured user group does. */
  actorOf(client: WebClient, userId: string): Promise<Actor>
}

const ROLE_RANK: Record<Role, number> = { analyst: 0, loss_prevention: 1, manager: 2, admin: 3 }

/** How long a user group's member list is trusted before it is read again. */
const GROUP_TTL_MS = 300_000

export function createFace(app: App, deps: SlackDeps): Face {
  const groupCache = new Map<string, { at: number; users: Set<string> }>()
  return {
    app,
    deps,
    toolkit: deps.agent.toolkit,
    async actorOf(client, userId) {
      const actor = await deps.resolveActor(`slack:${userId}`)
      let role = actor.role
      for (const [group, groupRole] of Object.entries(deps.config.slack.roleGroups)) {
        if (ROLE_RANK[groupRole] <= ROLE_RANK[role]) continue
        let cached = groupCache.get(group)
        if (!cached || Date.now() - cached.at > GROUP_TTL_MS) {
          const members = await client.usergroups.users
            .list({ usergroup: group })
            .catch(() => ({ users: [] as string[] }))
          cached = { at: Date.now(), users: new Set(members.users ?? []) }
          groupCache.set(group, cached)
        }
        if (cached.users.has(userId)) role = groupRole
      }
      return { id: actor.id, role }
    },
  }
}

/** The agent thread of a Slack thread: the Slack thread is the LangGraph thread. */
export function threadIdOf(teamId: string, channel: string, threadTs: string): string {
  return `slack:${teamId}:${channel}:${threadTs}`
}

/** Where a button was clicked, from a block_actions payload. */
export type ButtonBody = {
  user: { id: string }
  team?: { id: string } | null
  channel?: { id: string }
  container?: { channel_id?: string; message_ts?: string }
  message?: { ts: string; thread_ts?: string }
  trigger_id?: string
}

export function whereClicked(body: ButtonBody) {
  return {
    channel: body.channel?.id ?? body.container?.channel_id ?? '',
    ts: body.message?.ts ?? body.container?.message_ts ?? '',
    threadTs: body.message?.thread_ts,
    teamId: body.team?.id ?? 'T',
  }
}

/** A button's value as the id it carries (approval or alert), or undefined when it is not one. */
export function idOf(action: unknown): number | undefined {
  const value = (action as { value?: unknown }).value
  const id = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN
  return Number.isSafeInteger(id) && id > 0 ? id : undefined
}
