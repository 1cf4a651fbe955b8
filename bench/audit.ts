import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../db/index.ts'
import {
  type AuditEntry,
  appendAudit,
  attachAuditTrail,
  verifyAuditTrail,
  writeAuditCheckpoint,
} from '../governance/index.ts'

type Phase = { appends: number; seconds: number; perSecond: number; p50Ms: number; p99Ms: number }

/**
 * `npm run bench -- audit [--appends 20000]`: tool-call audit rows appended one after another on
 * SQLite, as the executor writes them, on a ledger with its audit trail attached (keyed rows, a
 * signed checkpoint to a synced file every 1000 appends) beside the baseline in the same run: a
 * ledger with no trail attached (keyed rows, no checkpoints). The event loop turns every 20
 * appends in both, as a server's does between requests, so the checkpoints are written during
 * the run and their cost counted. Then `verify` over the whole log, every checkpoint included.
 * Target: the attached appends within 1.2× of the baseline.
 */
export async function auditBench(args: string[]): Promise<void> {
  const i = args.indexOf('--appends')
  const appends = i >= 0 && args[i + 1] ? Number(args[i + 1]) : 20_000
  const dir = mkdtempSync(join(tmpdir(), 'giftcards-audit-bench-'))
  try {
    const baseline = await openDatabase({ engine: 'sqlite', path: join(dir, 'baseline.db') })
    const plain = await openDatabase({ engine: 'sqlite', path: join(dir, 'attached.db') })
    const attached = attachAuditTrail(plain, {
      key: 'bench-audit-key',
      checkpointFile: join(dir, 'checkpoints.jsonl'),
      checkpointEvery: 1000,
      checkpointIntervalMs: 0,
    })
    // Alternate the two, a round of each at a time and which goes first, so a busy machine
    // weighs on both alike.
    const rounds = 10
    const base: number[] = []
    const anchored: number[] = []
    for (let r = 0; r < rounds; r++) {
      const runBase = async () => base.push(...(await timeAppends(baseline, appends / rounds, r)))
      const runAnchored = async () =>
        anchored.push(...(await timeAppends(attached, appends / rounds, r)))
      if (r % 2 === 0) await runBase().then(runAnchored)
      else await runAnchored().then(runBase)
    }
    await baseline.close()
    await writeAuditCheckpoint(attached) // the head as it is now, after any still being written
    const verifyStarted = performance.now()
    const verification = await verifyAuditTrail(attached)
    const verifySeconds = (performance.now() - verifyStarted) / 1000
    await attached.close()
    const b = summarise(base)
    const a = summarise(anchored)
    const ratio = a.seconds / b.seconds
    console.log(
      JSON.stringify(
        {
          bench: 'audit',
          baseline: b,
          attached: a,
          ratio,
          verify: {
            ok: verification.ok,
            rows: verification.rows,
            checkpoints: verification.checkpoints?.valid ?? 0,
            seconds: verifySeconds,
            rowsPerSecond: verification.rows / verifySeconds,
          },
        },
        null,
        2,
      ),
    )
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
    console.log(
      `audit: ${fmt(a.perSecond)} appends/s with checkpoints vs ${fmt(b.perSecond)}/s without (${ratio.toFixed(2)}×, p99 ${a.p99Ms.toFixed(3)} vs ${b.p99Ms.toFixed(3)} ms) | verify ${fmt(verification.rows)} rows and ${verification.checkpoints?.valid ?? 0} checkpoints in ${verifySeconds.toFixed(2)} s (${verification.ok ? 'intact' : 'BROKEN'}) | ${ratio <= 1.2 && verification.ok ? 'PASS' : 'FAIL'}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function timeAppends(
  database: Parameters<typeof appendAudit>[0],
  n: number,
  round: number,
): Promise<number[]> {
  const times: number[] = []
  for (let k = 0; k < n; k++) {
    const entry: AuditEntry = {
      actor: `cli:bench${k % 7}`,
      role: 'analyst',
      via: 'cli',
      action: 'tool_call',
      tool: 'get_gift_card',
      input: { card: `gc_${round}_${k}` },
      resultSummary: `ok: {"cardId":"gc_${round}_${k}","balance":{"cents":2500}}`,
    }
    const started = performance.now()
    await appendAudit(database, entry)
    // A server turns its event loop between requests: let the background checkpoints run.
    if (k % 20 === 19) await new Promise(setImmediate)
    times.push(performance.now() - started)
  }
  return times
}

function summarise(times: number[]): Phase {
  const sorted = [...times].sort((x, y) => x - y)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  const seconds = times.reduce((sum, t) => sum + t, 0) / 1000
  return {
    appends: times.length,
    seconds,
    perSecond: times.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  }
}
