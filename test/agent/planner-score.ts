import { planRequest } from '../../agent/index.ts'
import { argsMatch } from '../../evals/index.ts'
import type { Phrasing } from './planner-phrasings.ts'

export type PlannerScore = {
  total: number
  toolAccuracy: number
  argAccuracy: number
  misses: string[]
}

/** Tool-selection and argument accuracy of the planner over a table of phrasings. */
export function scorePlanner(phrasings: readonly Phrasing[]): PlannerScore {
  const misses: string[] = []
  let tools = 0
  let args = 0
  for (const p of phrasings) {
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
  return {
    total: phrasings.length,
    toolAccuracy: tools / phrasings.length,
    argAccuracy: args / phrasings.length,
    misses,
  }
}

/** One line (and the misses) on stderr, so the figure shows in every test run. */
export function reportScore(name: string, score: PlannerScore): void {
  process.stderr.write(
    `${name}: ${score.total} phrasings, tool ${(score.toolAccuracy * 100).toFixed(1)}%, arguments ${(score.argAccuracy * 100).toFixed(1)}%\n${score.misses.map((m) => `  ${m}\n`).join('')}`,
  )
}
