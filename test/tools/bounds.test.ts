import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadConfig } from '../../core/index.ts'
import { createToolkit, TOOLS, type Toolkit } from '../../tools/index.ts'
import { ACTORS } from '../helpers/agent-fixture.ts'
import { DIALECTS, useDatabase } from '../helpers/dialects.ts'
import { writeLedgerFixture } from '../helpers/ledger-fixture.ts'

/** The JSON Schema of a tool's input, as MCP clients and models are shown it. */
type Schema = {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  anyOf?: Schema[]
  minimum?: number
  exclusiveMinimum?: number
  maximum?: number
  exclusiveMaximum?: number
  maxLength?: number
  maxItems?: number
}

const schemaOf = (tool: (typeof TOOLS)[number]) =>
  z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Schema

const typesOf = (s: Schema) => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : [])
const isNumber = (s: Schema) => typesOf(s).some((t) => t === 'number' || t === 'integer')

/** Every leaf of a schema with its path (`audience.minBalanceCents`, `items[].amountCents`). */
function leaves(schema: Schema, path = ''): { path: string; schema: Schema }[] {
  const out: { path: string; schema: Schema }[] = [{ path, schema }]
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    out.push(...leaves(child, path ? `${path}.${key}` : key))
  if (schema.items) out.push(...leaves(schema.items, `${path}[]`))
  for (const option of schema.anyOf ?? []) out.push(...leaves(option, path))
  return out
}

/** PostgreSQL's `integer`: every number a tool takes must fit where the ledger keeps it. */
const INT4 = 2_147_483_647

describe('every tool argument is bounded (issue 16, defects 1 and 7)', () => {
  it('each string has a maximum length (or is one of a list), each list a maximum size', () => {
    const unbounded: string[] = []
    for (const tool of TOOLS)
      for (const { path, schema } of leaves(schemaOf(tool))) {
        const types = typesOf(schema)
        if (types.includes('string') && !schema.enum && schema.const === undefined)
          if (schema.maxLength === undefined) unbounded.push(`${tool.name}.${path}`)
        if (types.includes('array') && schema.maxItems === undefined)
          unbounded.push(`${tool.name}.${path}[]`)
      }
    expect(unbounded).toEqual([])
  })

  it('each number has a minimum and a maximum the database can hold', () => {
    const unbounded: string[] = []
    for (const tool of TOOLS)
      for (const { path, schema } of leaves(schemaOf(tool))) {
        if (!isNumber(schema)) continue
        const max = schema.maximum ?? schema.exclusiveMaximum
        const min = schema.minimum ?? schema.exclusiveMinimum
        if (max === undefined || min === undefined || max > INT4 || min < -INT4)
          unbounded.push(`${tool.name}.${path}: ${min} … ${max}`)
      }
    expect(unbounded).toEqual([])
  })
})

/** The least valid value of a schema: what a required argument gets while another is varied. */
function least(schema: Schema): unknown {
  if (schema.enum) return schema.enum[0]
  if (schema.anyOf) return least(schema.anyOf[0] as Schema)
  const types = typesOf(schema)
  if (types.includes('object')) {
    const out: Record<string, unknown> = {}
    for (const key of schema.required ?? []) out[key] = least(schema.properties?.[key] as Schema)
    return out
  }
  if (types.includes('array')) return []
  if (types.includes('boolean')) return false
  if (isNumber(schema))
    return (
      schema.minimum ?? (schema.exclusiveMinimum === undefined ? 0 : schema.exclusiveMinimum + 1)
    )
  return 'x'
}

/** `input` with the value at `path` (dots for objects, `[]` for the first item of a list) set. */
function withValue(schema: Schema, path: string, value: unknown): unknown {
  const input = least(schema) as Record<string, unknown>
  const parts = path.split('.')
  let at: Record<string, unknown> = input
  let node = schema
  for (const [i, raw] of parts.entries()) {
    const list = raw.endsWith('[]')
    const key = list ? raw.slice(0, -2) : raw
    node = node.properties?.[key] as Schema
    const last = i === parts.length - 1
    if (list) {
      const item = node.items as Schema
      const element = last ? value : (least(item) as Record<string, unknown>)
      at[key] = [element]
      node = item
      at = element as Record<string, unknown>
    } else if (last) at[key] = value
    else {
      at[key] = (at[key] as Record<string, unknown> | undefined) ?? least(node)
      at = at[key] as Record<string, unknown>
    }
  }
  return input
}

for (const dialect of DIALECTS) {
  describe(`tool arguments at their bounds on ${dialect.name}`, () => {
    let kit: Toolkit
    useDatabase(dialect, async (database) => {
      await writeLedgerFixture(database.db)
      kit = createToolkit(database, loadConfig({ PII_TOKEN_KEY: 'test-pii-key' }))
    })

    it('every number at its least and greatest is answered (never INTERNAL); past them, INVALID_INPUT naming it', async () => {
      const internal: string[] = []
      const accepted: string[] = []
      for (const tool of TOOLS) {
        const schema = schemaOf(tool)
        for (const { path, schema: leaf } of leaves(schema)) {
          if (!path || !isNumber(leaf)) continue
          const max = (leaf.maximum ?? (leaf.exclusiveMaximum as number) - 1) as number
          const min = (leaf.minimum ?? (leaf.exclusiveMinimum as number) + 1) as number
          // forecast_breakage fits its model on every call (seconds): its months and card counts
          // are checked past their bounds only.
          const values =
            tool.name === 'forecast_breakage' ? [max + 1, min - 1] : [max, min, max + 1, min - 1]
          for (const value of values) {
            const outcome = await kit.executor.call(tool.name, withValue(schema, path, value), {
              actor: ACTORS.admin,
              via: 'cli',
            })
            const label = `${tool.name} ${path}=${value}`
            if (!outcome.ok && outcome.error.code === 'INTERNAL')
              internal.push(`${label}: ${outcome.error.message}`)
            const field = path.replaceAll('[]', '.0')
            const beyond = value > max || value < min
            if (beyond && (outcome.ok || !outcome.error.message.includes(`${field}: Too`)))
              accepted.push(`${label}: ${outcome.ok ? 'accepted' : outcome.error.message}`)
          }
        }
      }
      expect(internal).toEqual([])
      expect(accepted).toEqual([])
    }, 120_000)

    it('a 200,000-letter card is refused at once, naming the field', async () => {
      const outcome = await kit.executor.call(
        'get_gift_card',
        { card: 'a'.repeat(200_000) },
        { actor: ACTORS.analyst, via: 'mcp' },
      )
      expect(outcome).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT', message: expect.stringContaining('card: Too big') },
      })
    })
  })
}
