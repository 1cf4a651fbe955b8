import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { CARD_STATUSES, GiftCardError } from '../core/index.ts'
import { APPROVAL_STATUSES } from '../governance/index.ts'

/** Who speaks in a scenario: the fixture's people (evals/fixture.ts ACTORS). */
export const ACTOR_KEYS = ['analyst', 'lp', 'manager', 'manager2', 'admin'] as const

const expectedCall = z.object({
  name: z.string(),
  /** Each given argument must equal the call's (others may be there too). */
  args: z.record(z.string(), z.unknown()).optional(),
})

const userTurn = z.object({
  user: z.string().min(1).describe("the person's words; {bindings} are replaced"),
  as: z.enum(ACTOR_KEYS).optional().describe('who says it (default: the scenario actor)'),
  /** The tool calls the turn should make, in order; [] means "answer in words, call nothing". */
  expect_tools: z.array(expectedCall).optional(),
  reply_contains: z.array(z.string()).default([]),
  reply_excludes: z.array(z.string()).default([]),
})

const decideTurn = z.object({
  decide: z.enum(['approve', 'reject']),
  as: z.enum(ACTOR_KEYS),
  /** True when this person may not decide: the decision must be refused and change nothing. */
  refused: z.boolean().default(false),
  reply_contains: z.array(z.string()).default([]),
})

const stateCheck = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('card_status'), card: z.string(), equals: z.enum(CARD_STATUSES) }),
  z.object({ kind: z.literal('active_holds'), card: z.string(), count: z.number().int().min(0) }),
  z.object({
    kind: z.literal('last_approval'),
    status: z.enum(APPROVAL_STATUSES),
    action: z.string().optional(),
    /** The person's reason, verbatim, in the request and in its audit row; null: none given. */
    reason: z.string().nullable().optional(),
  }),
  z.object({ kind: z.literal('new_approvals'), count: z.number().int().min(0) }),
  z.object({
    kind: z.literal('alert_status'),
    alert: z.string(),
    equals: z.enum(['open', 'confirmed', 'dismissed']),
    /** The person's note, verbatim, on the alert and in the audit row of the change. */
    note: z.string().optional(),
  }),
  z.object({
    kind: z.literal('new_campaigns'),
    count: z.number().int().min(0),
    status: z.string().optional(),
  }),
])

export const scenarioSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  tags: z.array(z.string()).min(1),
  actor: z.enum(ACTOR_KEYS),
  description: z.string().optional(),
  turns: z.array(z.union([userTurn, decideTurn])).min(1),
  /** The database after the scenario (τ-bench: success is the state, not the words). */
  state: z.array(stateCheck).default([]),
})
export type Scenario = z.infer<typeof scenarioSchema>
export type StateCheck = z.infer<typeof stateCheck>
export type UserTurn = z.infer<typeof userTurn>
export type DecideTurn = z.infer<typeof decideTurn>

export const SCENARIO_DIR = join(import.meta.dirname, 'scenarios')

/** Every scenario of the JSON-lines files in a folder; a bad line names its file and line. */
export function loadScenarios(dir: string = SCENARIO_DIR): Scenario[] {
  const scenarios: Scenario[] = []
  const ids = new Set<string>()
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return
        const parsed = scenarioSchema.safeParse(JSON.parse(line))
        if (!parsed.success)
          throw new GiftCardError(
            'INVALID_INPUT',
            `${file}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
          )
        if (ids.has(parsed.data.id))
          throw new GiftCardError(
            'INVALID_INPUT',
            `${file}:${i + 1}: duplicate id ${parsed.data.id}`,
          )
        ids.add(parsed.data.id)
        scenarios.push(parsed.data)
      })
  }
  return scenarios
}

/** Replaces `{name}` with the chain's value; an unknown name is an error in the scenario. */
export function bind<T>(value: T, bindings: Record<string, string>): T {
  if (typeof value === 'string') {
    const whole = /^\{([a-z0-9.]+)\}$/.exec(value)
    const replaced = value.replace(/\{([a-z0-9.]+)\}/g, (_m, key: string) => {
      const v = bindings[key]
      if (v === undefined) throw new GiftCardError('INVALID_INPUT', `unknown binding {${key}}`)
      return v
    })
    // A whole-value number binding stays a number in arguments ({alert.injected} → 1).
    if (whole && /^\d+$/.test(replaced) && !whole[1]?.includes('last4'))
      return Number(replaced) as T
    return replaced as T
  }
  if (Array.isArray(value)) return value.map((v) => bind(v, bindings)) as T
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bind(v, bindings)])) as T
  return value
}
