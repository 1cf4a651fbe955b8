import { describe, expect, it } from 'vitest'
import { TOOLS } from '../../tools/index.ts'
import { HOLDOUT } from './planner-holdout.ts'
import { PHRASINGS } from './planner-phrasings.ts'
import { reportScore, scorePlanner } from './planner-score.ts'

describe('the offline planner', () => {
  it('has at least 150 phrasings covering every tool and the refusals', () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(150)
    const covered = new Set(PHRASINGS.map((p) => p.tool))
    for (const tool of TOOLS) expect(covered, tool.name).toContain(tool.name)
    expect(PHRASINGS.filter((p) => p.tool === null).length).toBeGreaterThanOrEqual(10)
  })

  it('picks the right tool for at least 95% and the right arguments for at least 90%', () => {
    const score = scorePlanner(PHRASINGS)
    reportScore('planner', score)
    expect(score.toolAccuracy).toBeGreaterThanOrEqual(0.95)
    expect(score.argAccuracy).toBeGreaterThanOrEqual(0.9)
  })

  it('stays above 85% on held-out words its rules were not written against', () => {
    const score = scorePlanner(HOLDOUT)
    reportScore('planner held-out', score)
    expect(score.toolAccuracy).toBeGreaterThanOrEqual(0.85)
    expect(score.argAccuracy).toBeGreaterThanOrEqual(0.8)
  })
})
