import { describe, expect, it } from 'vitest'
import { planRequest } from '../../agent/index.ts'
import { TOOLS } from '../../tools/index.ts'
import { PHRASINGS } from './planner-phrasings.ts'

/** Every expected argument is there with the expected value (extra arguments are fine). */
function argsMatch(
  expected: Record<string, unknown> | undefined,
  actual: Record<string, unknown>,
): boolean {
  if (!expected) return true
  return Object.entries(expected).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v))
}

export function scorePlanner() {
  const misses: string[] = []
  let tools = 0
  let args = 0
  for (const p of PHRASINGS) {
    const plan = planRequest(p.text, p.recall ?? {})
    const tool = plan.kind === 'call' ? plan.tool : null
    if (tool !== p.tool) {
      misses.push(`tool  "${p.text}": expected ${p.tool}, got ${tool}`)
      continue
    }
    tools++
    if (plan.kind === 'reply' || argsMatch(p.args, plan.args)) args++
    else
      misses.push(
        `args  "${p.text}": expected ${JSON.stringify(p.args)}, got ${JSON.stringify(plan.args)}`,
      )
  }
  return {
    total: PHRASINGS.length,
    toolAccuracy: tools / PHRASINGS.length,
    argAccuracy: args / PHRASINGS.length,
    misses,
  }
}

describe('the offline planner', () => {
  it('has at least 150 phrasings covering every tool and the refusals', () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(150)
    const covered = new Set(PHRASINGS.map((p) => p.tool))
    for (const tool of TOOLS) expect(covered, tool.name).toContain(tool.name)
    expect(PHRASINGS.filter((p) => p.tool === null).length).toBeGreaterThanOrEqual(10)
  })

  it('picks the right tool for at least 95% and the right arguments for at least 90%', () => {
    const score = scorePlanner()
    console.log(
      `planner: ${score.total} phrasings, tool ${(score.toolAccuracy * 100).toFixed(1)}%, arguments ${(score.argAccuracy * 100).toFixed(1)}%${score.misses.length ? `\n  ${score.misses.join('\n  ')}` : ''}`,
    )
    expect(score.toolAccuracy).toBeGreaterThanOrEqual(0.95)
    expect(score.argAccuracy).toBeGreaterThanOrEqual(0.9)
  })
})

describe('the offline planner on held-out phrasings', () => {
  it('stays above 85% on words its rules were not written against', async () => {
    const { HOLDOUT } = await import('./planner-holdout.ts')
    let tools = 0
    let args = 0
    const misses: string[] = []
    for (const p of HOLDOUT) {
      const plan = planRequest(p.text, p.recall ?? {})
      const tool = plan.kind === 'call' ? plan.tool : null
      if (tool !== p.tool) {
        misses.push(`tool "${p.text}": expected ${p.tool}, got ${tool}`)
        continue
      }
      tools++
      if (plan.kind === 'reply' || argsMatch(p.args, plan.args)) args++
      else
        misses.push(
          `args "${p.text}": expected ${JSON.stringify(p.args)}, got ${JSON.stringify(plan.args)}`,
        )
    }
    console.log(
      `planner held-out: ${HOLDOUT.length} phrasings, tool ${((tools / HOLDOUT.length) * 100).toFixed(1)}%, arguments ${((args / HOLDOUT.length) * 100).toFixed(1)}%${misses.length ? `\n  ${misses.join('\n  ')}` : ''}`,
    )
    expect(tools / HOLDOUT.length).toBeGreaterThanOrEqual(0.85)
    expect(args / HOLDOUT.length).toBeGreaterThanOrEqual(0.8)
  })
})
