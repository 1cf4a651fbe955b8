import {
  type BaseMessage,
  HumanMessage,
  isAIMessage,
  isHumanMessage,
} from '@langchain/core/messages'
import { type BaseCheckpointSaver, Command } from '@langchain/langgraph'
import { type Config, describeError, formatCents, type Logger } from '../core/index.ts'
import type { Approval, Decision } from '../governance/index.ts'
import type { ChainVocabulary, PendingApproval, Toolkit } from '../tools/index.ts'
import { launchCampaign, placeCardHold, releaseCardHold } from '../tools/index.ts'
import {
  type AgentGraph,
  type ApprovalResume,
  buildAgentGraph,
  RECURSION_LIMIT,
  type RunContext,
} from './graph.ts'
import { chooseModel, type ModelChoice } from './models.ts'
import { textOf } from './planner/offline-model.ts'
import type { Vocabulary } from './planner/vocabulary.ts'

export type TurnResult = {
  threadId: string
  reply: string
  toolCalls: { name: string; args: Record<string, unknown> }[]
  /** Approval requests the thread now waits on. */
  pending: PendingApproval[]
  answeredBy: string
}

/** Where the agent keeps its threads between turns, and how to let go of it (db/checkpointer.ts). */
export type AgentCheckpointer = { saver: BaseCheckpointSaver; close(): Promise<void> }

/** What an agent is made of; the composition root (app/agent.ts) puts them together. */
export type AgentParts = {
  /** The tools (executor, approvals, pseudonymiser) every turn goes through. */
  toolkit: Toolkit
  /** Closed when the agent is. */
  checkpointer: AgentCheckpointer
  /** Chooses the model when `models` is not given (OPENAI_*, else the offline planner). */
  config: Config
  /** The chain's stores and calendar for the planner: read at start and again after a minute. */
  readVocabulary: () => Promise<ChainVocabulary>
  models?: ModelChoice
  logger?: Logger
  /** Sees every message list a model is shown. */
  inspect?: (messages: readonly BaseMessage[]) => void
}

/**
 * What a hold or release did at the POS, for the reply (issue 23): enforced or ledger only, and
 * the alert raised when the POS balance was not what the ledger expected.
 */
function posSentence(o: Record<string, unknown>): string {
  const effect =
    typeof o.enforcement === 'string'
      ? ` ${o.enforcement.charAt(0).toUpperCase()}${o.enforcement.slice(1)}.`
      : ''
  const m = o.mismatch as { alertId?: unknown; detail?: unknown } | undefined
  const mismatch =
    m && typeof m === 'object' ? ` Alert #${String(m.alertId)} raised: ${String(m.detail)}.` : ''
  return `${effect}${mismatch}`
}

/** One line on what became of an approval, for the thread that asked for it. */
export function describeOutcome(approval: Approval): string {
  const o = approval.outcome ?? {}
  const by = approval.decidedBy ? ` by ${approval.decidedBy}` : ''
  switch (approval.status) {
    case 'executed':
      if (approval.action === placeCardHold.name)
        return `Approval #${approval.id} was approved${by}: card ${String(o.cardId)} is on hold (hold #${String(o.holdId)}, ${formatCents(Number(o.amountCents ?? 0))} held, ${String(o.connector)} ${String(o.posReference)}).${posSentence(o)}`
      if (approval.action === releaseCardHold.name)
        return `Approval #${approval.id} was approved${by}: the hold on card ${String(o.cardId)} is released (${o.enforced === false ? 'nothing to restore at the POS' : `${formatCents(Number(o.amountCents ?? 0))} restored, ${String(o.connector)}`}).${posSentence(o)}`
      if (approval.action === launchCampaign.name)
        return `Approval #${approval.id} was approved${by}: campaign #${String(o.campaignId)} launched to ${String(o.audience)} cards (${String(o.file)}${o.handedOffTo ? `, handed to ${String(o.handedOffTo)}` : ''}).`
      return `Approval #${approval.id} was approved${by} and executed.`
    case 'failed':
      return `Approval #${approval.id} was approved${by} but failed: ${String(o.error ?? 'unknown error')}. Nothing was changed.`
    case 'rejected':
      return `Approval #${approval.id} was rejected${by}${approval.decisionReason ? ` (${approval.decisionReason})` : ''}. Nothing was changed.`
    case 'expired':
      return `Approval #${approval.id} expired before a manager decided. Nothing was changed.`
    default:
      return `Approval #${approval.id} is ${approval.status}.`
  }
}

/**
 * The conversational agent over the ledger: one LangGraph graph, checkpointed beside the ledger,
 * that every face (terminal, Slack, evals) talks to by thread id.
 */
export class Agent {
  /** When the planner last read the chain's stores (they are read again after a minute). */
  #vocabularyReadAt = 0

  private constructor(
    readonly toolkit: Toolkit,
    readonly models: ModelChoice,
    private readonly graph: AgentGraph,
    private readonly closeCheckpointer: () => Promise<void>,
    private readonly refreshVocabulary: () => Promise<void>,
  ) {}

  /**
   * The agent over a toolkit, keeping its threads in `checkpointer` (which it closes with
   * itself). It never opens a database: the composition root (app/agent.ts) chooses the
   * checkpointer (db/checkpointer.ts) and says how to read the chain's stores.
   */
  static async create(parts: AgentParts): Promise<Agent> {
    const { toolkit, checkpointer, logger } = parts
    const chosen = parts.models ?? chooseModel(parts.config)
    // The planner reads the chain's stores and calendar; the object is updated in place.
    const vocabulary: Vocabulary = { ...chosen.planner.vocabulary, stores: [] }
    const refresh = async () => {
      const read = await parts.readVocabulary()
      vocabulary.stores = read.stores
      vocabulary.timezone = read.timezone
    }
    await refresh()
    const models: ModelChoice = { ...chosen, planner: chosen.planner.withVocabulary(vocabulary) }
    const graph = buildAgentGraph({
      executor: toolkit.executor,
      models,
      pii: toolkit.pii,
      checkpointer: checkpointer.saver,
      ...(logger ? { logger } : {}),
      ...(parts.inspect ? { inspect: parts.inspect } : {}),
    })
    const agent = new Agent(toolkit, models, graph, checkpointer.close, async () => {
      // A failed read keeps the stores the planner had: a turn never fails for it.
      try {
        await refresh()
      } catch (err) {
        logger?.warn({ err: describeError(err) }, 'could not read the chain’s stores again')
      }
    })
    agent.#vocabularyReadAt = Date.now()
    return agent
  }

  /** The model answering first: the configured LLM, or the offline planner. */
  get modelName(): string {
    return this.models.primary?.name ?? 'offline-planner'
  }

  /** One turn: the person's message in, the reply (and any approval it now waits on) out. */
  async ask(text: string, thread: { threadId: string } & RunContext): Promise<TurnResult> {
    if (Date.now() - this.#vocabularyReadAt > 60_000) {
      await this.refreshVocabulary()
      this.#vocabularyReadAt = Date.now()
    }
    const config = this.#config(thread)
    const message = new HumanMessage(this.toolkit.pii.scrubText(text))
    // A new message moves the thread on: an approval still pending is reported when decided.
    await this.graph.invoke({ messages: [message], pending: [], fallback: null }, config)
    return this.#result(thread.threadId)
  }

  /** Resumes a thread paused on approvals with the managers' decisions. */
  async resume(
    thread: { threadId: string } & RunContext,
    resume: ApprovalResume,
  ): Promise<TurnResult> {
    await this.graph.invoke(new Command({ resume }), this.#config(thread))
    return this.#result(thread.threadId, true)
  }

  /** The approvals a thread is paused on (empty when it is not paused). */
  async waitingOn(threadId: string): Promise<PendingApproval[]> {
    const snapshot = await this.graph.getState({ configurable: { thread_id: threadId } })
    if (snapshot.next.length === 0) return []
    return (snapshot.values as { pending?: PendingApproval[] }).pending ?? []
  }

  /**
   * A manager's decision from this face: decided through the approval service (which executes
   * an approval once), then, if this thread waits on it, the thread resumes and reports.
   */
  async decide(
    approvalId: number,
    decider: RunContext & { threadId?: string },
    decision: 'approve' | 'reject',
    reason?: string,
  ): Promise<{ decision: Decision; turn?: TurnResult }> {
    const result = await this.toolkit.approvals.decide(approvalId, {
      actor: decider.actor,
      via: decider.via,
      decision,
      reason: reason ?? null,
    })
    // Only the decision that took effect resumes the thread: a concurrent, losing click would
    // otherwise report a state the winner has not finished executing.
    if (!decider.threadId || !result.changed) return { decision: result }
    const waiting = await this.waitingOn(decider.threadId)
    if (!waiting.some((p) => p.approvalId === approvalId)) return { decision: result }
    const turn = await this.resume(
      { threadId: decider.threadId, actor: decider.actor, via: decider.via },
      {
        decisions: [
          {
            approvalId,
            status: result.approval.status,
            decidedBy: result.approval.decidedBy,
            outcome: result.approval.outcome,
            message: describeOutcome(result.approval),
          },
        ],
      },
    )
    return { decision: result, turn }
  }

  async close(): Promise<void> {
    await this.closeCheckpointer()
  }

  #config(thread: { threadId: string } & RunContext) {
    return {
      configurable: { thread_id: thread.threadId, actor: thread.actor, via: thread.via },
      recursionLimit: RECURSION_LIMIT,
    }
  }

  async #result(threadId: string, resumed = false): Promise<TurnResult> {
    const snapshot = await this.graph.getState({ configurable: { thread_id: threadId } })
    const values = snapshot.values as {
      messages: BaseMessage[]
      pending: PendingApproval[]
      answeredBy: string
    }
    const messages = values.messages
    const start = resumed ? messages.length - 2 : messages.findLastIndex((m) => isHumanMessage(m))
    const turn = messages.slice(start + 1)
    const toolCalls = turn.flatMap((m) =>
      isAIMessage(m) ? (m.tool_calls ?? []).map((c) => ({ name: c.name, args: c.args })) : [],
    )
    const last = [...turn].reverse().find((m) => isAIMessage(m) && textOf(m).trim() !== '')
    return {
      threadId,
      reply: last ? textOf(last) : '',
      toolCalls,
      pending: snapshot.next.length > 0 ? values.pending : [],
      answeredBy: values.answeredBy,
    }
  }
}
