import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../core/index.ts'
import { openDatabase } from '../db/index.ts'
import { reportTable, runEvals, setUpAgentFixture } from '../evals/index.ts'
import { peakRssMiB } from './child.ts'

/**
 * `npm run bench -- evals [--trials 1]`: the whole offline eval run's wall time (target < 60 s),
 * beside making the same fresh chain alone (the part of each trial that is not the agent).
 */
export async function evalsBench(args: string[]): Promise<void> {
  const i = args.indexOf('--trials')
  const trials = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 1
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-evals-bench-'))
  try {
    const started = performance.now()
    const database = await openDatabase({ engine: 'sqlite', path: join(dir, 'chain.db') })
    await setUpAgentFixture(database, 1500, { seed: 11, labelsPath: join(dir, 'labels.jsonl') })
    await database.close()
    const chainSeconds = (performance.now() - started) / 1000
    const report = await runEvals({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      model: 'offline',
      trials,
    })
    console.log(reportTable(report))
    const perTrial = report.seconds / trials
    console.log(
      JSON.stringify({
        bench: 'evals',
        trials,
        seconds: report.seconds,
        chainSeconds,
        scenarios: report.summary.scenarios,
        taskSuccess: report.summary.taskSuccess,
        peakRssMiB: peakRssMiB(),
      }),
    )
    console.log(
      `evals: ${report.summary.scenarios} scenarios × ${trials} trial(s) in ${report.seconds.toFixed(1)} s (${perTrial.toFixed(1)} s a trial; making the chain alone ${chainSeconds.toFixed(1)} s, ${(perTrial / chainSeconds).toFixed(1)}× it) | task success ${(report.summary.taskSuccess * 100).toFixed(1)}% | ${report.seconds < 60 * trials ? 'PASS' : 'FAIL'} (target < 60 s a run)`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
