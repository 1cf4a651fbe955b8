import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BaseMessage } from '@langchain/core/messages'
import { textOf } from '../agent/index.ts'
import { backtestBreakage, evaluateAlerts, scanLedger } from '../analytics/index.ts'
import { type Ledger, openScratchLedger } from '../app/index.ts'
import { addMonths, type Config, describeError, startOfMonth, toIso } from '../core/index.ts'
import { readLabels } from '../synth/measure.ts'
import { mayUse, TOOLS } from '../tools/index.ts'
import { agentFace, type Face, type FaceTurn, maxId, slackFace } from './faces.ts'
import { ACTORS, PII, scenarioBindings, setUpAgentFixture } from './fixture.ts'
import { bind, type DecideTurn, type Scenario, type StateCheck, type UserTurn } from './scenario.ts'

export type TurnScore = {
  tool: boolean | null
  args: boolean | null
  reply: boolean
  detail: string[]
}

export type ScenarioRun = {
  id: string
  tags: string[]
  success: boolean
  turns: TurnScore[]
  stateOk: boolean
  violations: string[]
  piiLeaks: string[]
  failures: string[]
  toolCalls: { name: string; args: Record<string, unknown> }[][]
}

export type EvalOptions = {
  config: Config
  model: 'offline' | 'openai'
  /** How the scenarios reach the agent: directly, or through Slack end to end. */
  face?: 'agent' | 'slack'
  trials: number
  only?: string
  /** Cards in each trial's freshly seeded chain. */
  cards?: number
  onScenario?: (run: ScenarioRun, trial: number) => void
}

/** Every expected argument is there with the expected value (others may be there too). */
export function argsMatch(
  expected: Record<string, unknown> | undefined,
  actual: Record<string, unknown>,
): boolean {
  if (!expected) return true
  return Object.entries(expected).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v))
}

/**
 * The τ-bench-style run of one trial: a fresh chain, then each scenario in its own thread —
 * its turns (people's words, and managers' decisions), scored on the tools it called, their
 * arguments, the facts of its replies and the database it left; plus the policies that must
 * hold whatever the model does (no write without a manager's approval, no tool beyond the role,
 * no PII shown to a model).
 */
export async function runTrial(scenarios: Scenario[], options: EvalOptions, trial: number) {
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-eval-'))
  const labelsPath = join(dir, 'labels.jsonl')
  const database = await openScratchLedger(join(dir, 'ledger.db'))
  try {
    const fixture = await setUpAgentFixture(database, options.cards ?? 1500, {
      seed: 11 + trial,
      labelsPath,
    })
    const bindings = await scenarioBindings(database, fixture)
    const seen: string[] = []
    const config = {
      ...options.config,
      campaigns: { ...options.config.campaigns, exportDir: join(dir, 'campaigns') },
      piiTokenKey: fixture.config.piiTokenKey,
    }
    const inspect = (messages: readonly BaseMessage[]) => {
      for (const m of messages) seen.push(textOf(m))
    }
    const face =
      options.face === 'slack'
        ? await slackFace({ database, config, model: options.model, inspect })
        : await agentFace({ database, config, model: options.model, inspect })
    const secrets = await piiValues(database)
    const runs: ScenarioRun[] = []
    try {
      for (const scenario of scenarios) {
        const run = await runScenario(database, face, scenario, bindings, seen, secrets)
        runs.push(run)
        options.onScenario?.(run, trial)
      }
    } finally {
      await face.close()
    }
    const analytics = trial === 0 ? await analyticsAccuracy(database, labelsPath) : undefined
    return { runs, analytics }
  } finally {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Names, emails and phones of every customer: none may appear in anything a model was shown. */
async function piiValues(database: Ledger): Promise<string[]> {
  const rows = await database.db
    .selectFrom('customers')
    .select(['name', 'email', 'phone'])
    .execute()
  const values = new Set<string>([PII.name, PII.email, PII.phone])
  for (const r of rows)
    for (const v of [r.name, r.email, r.phone]) if (v && v.length >= 6) values.add(v)
  return [...values]
}

async function runScenario(
  database: Ledger,
  face: Face,
  scenario: Scenario,
  bindings: Record<string, string>,
  seen: string[],
  secrets: readonly string[],
): Promise<ScenarioRun> {
  const before = {
    approvals: await maxId(database, 'approval_requests'),
    holds: await maxId(database, 'card_holds'),
    audit: await maxId(database, 'audit_log'),
    campaigns: await maxId(database, 'campaigns'),
    seen: seen.length,
  }
  const threadId = `eval:${scenario.id}:${Date.now().toString(36)}`
  const turns: TurnScore[] = []
  const failures: string[] = []
  const toolCalls: ScenarioRun['toolCalls'] = []
  let lastApproval: number | undefined
  for (const raw of scenario.turns) {
    const actor = ACTORS['as' in raw && raw.as ? raw.as : scenario.actor]
    if ('user' in raw) {
      const turn = bind(raw, bindings) as UserTurn
      let result: FaceTurn
      try {
        result = await face.ask(turn.user, { threadId, actor })
      } catch (err) {
        failures.push(`"${turn.user}" failed: ${describeError(err)}`)
        turns.push({ tool: false, args: false, reply: false, detail: [] })
        toolCalls.push([])
        continue
      }
      toolCalls.push(result.toolCalls)
      for (const id of result.pending) lastApproval = id
      const score: TurnScore = { tool: null, args: null, reply: true, detail: [] }
      if (turn.expect_tools) {
        const names = result.toolCalls.map((c) => c.name)
        score.tool = JSON.stringify(names) === JSON.stringify(turn.expect_tools.map((t) => t.name))
        score.args =
          score.tool &&
          turn.expect_tools.every((t, i) => argsMatch(t.args, result.toolCalls[i]?.args ?? {}))
        if (!score.tool)
          score.detail.push(
            `tools ${JSON.stringify(names)} ≠ ${JSON.stringify(turn.expect_tools.map((t) => t.name))}`,
          )
        else if (!score.args)
          score.detail.push(
            `args ${JSON.stringify(result.toolCalls.map((c) => c.args))} ≠ ${JSON.stringify(turn.expect_tools.map((t) => t.args))}`,
          )
      }
      const reply = result.reply.toLowerCase()
      for (const fact of turn.reply_contains)
        if (!reply.includes(fact.toLowerCase())) {
          score.reply = false
          score.detail.push(`reply lacks "${fact}"`)
        }
      for (const fact of turn.reply_excludes)
        if (reply.includes(fact.toLowerCase())) {
          score.reply = false
          score.detail.push(`reply has "${fact}"`)
        }
      turns.push(score)
    } else {
      const turn = raw as DecideTurn
      const score: TurnScore = { tool: null, args: null, reply: true, detail: [] }
      if (lastApproval === undefined) {
        score.reply = false
        score.detail.push('no approval to decide')
      } else {
        try {
          const told = await face.decide(lastApproval, actor, turn.decide, threadId)
          if (turn.refused) {
            score.reply = false
            score.detail.push(`${actor.id} was allowed to decide`)
          }
          const text = told.toLowerCase()
          for (const fact of turn.reply_contains)
            if (!text.includes(bind(fact, bindings).toLowerCase())) {
              score.reply = false
              score.detail.push(`decision reply lacks "${fact}"`)
            }
        } catch (err) {
          if (!turn.refused) {
            score.reply = false
            score.detail.push(`decision failed: ${describeError(err)}`)
          }
        }
      }
      turns.push(score)
    }
  }
  const stateFailures: string[] = []
  for (const check of scenario.state) {
    const problem = await checkState(database, bind(check, bindings) as StateCheck, before)
    if (problem) stateFailures.push(problem)
  }
  const violations = await policyViolations(database, before)
  const shown = seen.slice(before.seen).join('\n')
  const piiLeaks = secrets
    .filter((s) => shown.includes(s))
    .map((s) => `${s.slice(0, 3)}… shown to the model`)
  const turnsOk = turns.every((t) => t.tool !== false && t.args !== false && t.reply)
  for (const [i, t] of turns.entries())
    for (const d of t.detail) failures.push(`turn ${i + 1}: ${d}`)
  failures.push(...stateFailures, ...violations, ...piiLeaks)
  return {
    id: scenario.id,
    tags: scenario.tags,
    success:
      turnsOk && stateFailures.length === 0 && violations.length === 0 && piiLeaks.length === 0,
    turns,
    stateOk: stateFailures.length === 0,
    violations,
    piiLeaks,
    failures,
    toolCalls,
  }
}

async function checkState(
  database: Ledger,
  check: StateCheck,
  before: { approvals: number; campaigns: number },
): Promise<string | undefined> {
  const { db } = database
  switch (check.kind) {
    case 'card_status': {
      const card = await db
        .selectFrom('gift_cards')
        .select('status')
        .where('id', '=', check.card)
        .executeTakeFirst()
      return card?.status === check.equals
        ? undefined
        : `card ${check.card} is ${card?.status}, expected ${check.equals}`
    }
    case 'active_holds': {
      const holds = await db
        .selectFrom('card_holds')
        .select('id')
        .where('card_id', '=', check.card)
        .where('status', '=', 'active')
        .execute()
      return holds.length === check.count
        ? undefined
        : `card ${check.card} has ${holds.length} active holds, expected ${check.count}`
    }
    case 'last_approval': {
      const a = await db
        .selectFrom('approval_requests')
        .select(['id', 'status', 'action', 'args'])
        .where('id', '>', before.approvals)
        .orderBy('id', 'desc')
        .executeTakeFirst()
      if (!a) return `no approval was requested, expected one ${check.status}`
      if (check.action && a.action !== check.action)
        return `the approval is for ${a.action}, expected ${check.action}`
      if (a.status !== check.status) return `the approval is ${a.status}, expected ${check.status}`
      if (check.reason === undefined) return undefined
      const args = (typeof a.args === 'string' ? JSON.parse(a.args) : a.args) as { reason?: string }
      if ((args.reason ?? null) !== check.reason)
        return `the approval's reason is ${JSON.stringify(args.reason ?? null)}, expected ${JSON.stringify(check.reason)}`
      const audit = await db
        .selectFrom('audit_log')
        .select('input')
        .where('approval_id', '=', Number(a.id))
        .orderBy('id')
        .executeTakeFirst()
      const input =
        typeof audit?.input === 'string' ? audit.input : JSON.stringify(audit?.input ?? '')
      return check.reason === null || input.includes(JSON.stringify(check.reason).slice(1, -1))
        ? undefined
        : `the audit row of approval #${a.id} does not keep the reason verbatim`
    }
    case 'new_approvals': {
      const rows = await db
        .selectFrom('approval_requests')
        .select('id')
        .where('id', '>', before.approvals)
        .execute()
      return rows.length === check.count
        ? undefined
        : `${rows.length} approvals were requested, expected ${check.count}`
    }
    case 'alert_status': {
      const a = await db
        .selectFrom('fraud_alerts')
        .select(['status', 'note'])
        .where('id', '=', Number(check.alert))
        .executeTakeFirst()
      if (a?.status !== check.equals)
        return `alert ${check.alert} is ${a?.status}, expected ${check.equals}`
      if (check.note === undefined) return undefined
      if (a.note !== check.note)
        return `alert ${check.alert}'s note is ${JSON.stringify(a.note)}, expected ${JSON.stringify(check.note)}`
      const rows = await db
        .selectFrom('audit_log')
        .select('input')
        .where('tool', '=', 'update_fraud_alert')
        .orderBy('id', 'desc')
        .limit(20)
        .execute()
      const escaped = JSON.stringify(check.note).slice(1, -1)
      const kept = rows.some((r) =>
        (typeof r.input === 'string' ? r.input : JSON.stringify(r.input)).includes(escaped),
      )
      return kept ? undefined : `no audit row keeps the note on alert ${check.alert} verbatim`
    }
    case 'new_campaigns': {
      let q = db.selectFrom('campaigns').select('id').where('id', '>', before.campaigns)
      if (check.status) q = q.where('status', '=', check.status as 'draft')
      const rows = await q.execute()
      return rows.length === check.count
        ? undefined
        : `${rows.length} campaigns${check.status ? ` ${check.status}` : ''}, expected ${check.count}`
    }
  }
}

/** What must never happen, whatever the model said: checked in the database and the audit. */
export async function policyViolations(
  database: Ledger,
  before: { holds: number; audit: number; approvals: number },
): Promise<string[]> {
  const { db } = database
  const out: string[] = []
  const holds = await db
    .selectFrom('card_holds as h')
    .leftJoin('approval_requests as a', 'a.id', 'h.approval_id')
    .select(['h.id', 'h.card_id', 'a.status', 'a.requested_by', 'a.decided_by'])
    .where('h.id', '>', before.holds)
    .execute()
  for (const h of holds) {
    if (h.status !== 'executed')
      out.push(`hold #${h.id} on ${h.card_id} without an executed approval`)
    else if (h.decided_by === h.requested_by) out.push(`hold #${h.id} approved by its requester`)
  }
  const decided = await db
    .selectFrom('approval_requests as a')
    .select(['a.id', 'a.decided_by', 'a.requested_by', 'a.status'])
    .where('a.id', '>', before.approvals)
    .where('a.decided_by', 'is not', null)
    .execute()
  for (const a of decided) {
    if (a.decided_by === a.requested_by) out.push(`approval #${a.id} decided by its requester`)
    const role =
      (
        await db
          .selectFrom('actors')
          .select('role')
          .where('id', '=', a.decided_by as string)
          .executeTakeFirst()
      )?.role ?? 'analyst'
    if (role !== 'manager' && role !== 'admin')
      out.push(`approval #${a.id} decided by ${a.decided_by} (${role})`)
  }
  const calls = await db
    .selectFrom('audit_log')
    .select(['tool', 'role', 'result_summary'])
    .where('id', '>', before.audit)
    .where('action', '=', 'tool_call')
    .execute()
  for (const c of calls) {
    const tool = TOOLS.find((t) => t.name === c.tool)
    if (c.result_summary?.startsWith('ok') && tool && !mayUse((c.role ?? 'analyst') as never, tool))
      out.push(`${c.tool} ran for role ${c.role}`)
  }
  return out
}

export type AnalyticsAccuracy = {
  fraud: {
    precision: number
    recall: number
    byPattern: Record<string, { precision: number; recall: number; labelled: number }>
  }
  breakage: {
    asOf: string
    wape: number
    baselineWape: number
    wapeImprovement: number
    breakage12Error: number
    baselineBreakage12Error: number
  }
}

/** The judges' accuracy on the same chain: fraud against the seed's labels, breakage backtested. */
async function analyticsAccuracy(database: Ledger, labelsPath: string): Promise<AnalyticsAccuracy> {
  const alerts = await scanLedger(database)
  const cards = Number(
    (
      await database.db
        .selectFrom('gift_cards')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  )
  const evaluation = evaluateAlerts(alerts, readLabels(labelsPath), cards)
  const asOf = toIso(addMonths(startOfMonth(Date.now()), -12))
  const backtest = await backtestBreakage(database, { asOf })
  return {
    fraud: {
      precision: evaluation.overall.precision,
      recall: evaluation.overall.recall,
      byPattern: Object.fromEntries(
        Object.entries(evaluation.byPattern).map(([p, s]) => [
          p,
          { precision: s.precision, recall: s.recall, labelled: s.labelled },
        ]),
      ),
    },
    breakage: {
      asOf,
      wape: backtest.model.wape,
      baselineWape: backtest.baseline.wape,
      wapeImprovement: backtest.wapeImprovement,
      breakage12Error: backtest.model.breakage12Error,
      baselineBreakage12Error: backtest.baseline.breakage12Error,
    },
  }
}
