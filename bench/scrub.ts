import { Pseudonymiser } from '../governance/index.ts'

const KiB = 1024
const SMALL = 10 * KiB
const LARGE = 1024 * KiB
/** Linear work makes 1 MiB cost ~102× 10 KiB; quadratic would be ~10,000×. */
const TARGET_RATIO = 250

/** The patterns the scrub used before issue 16: the baseline that shows what quadratic looks like. */
const LEGACY_EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
const LEGACY_PHONE =
  /(?:\+?1[\s.-])?\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b|\+1-\d{3}-\d{3}-\d{4}\b|\+\d{10,15}\b/g

const fill = (unit: string, size: number) =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size)

/** The inputs that made the old patterns backtrack, a digit-heavy one, and ordinary text. */
const SHAPES: Record<string, (size: number) => string> = {
  letters: (size) => fill('a', size),
  'at-signs': (size) => fill('a@', size),
  'digit-groups': (size) => fill('716 ', size),
  mixed: (size) =>
    fill(
      'Ann josé@correo.españa.es 716 5550179, +44 20 7946 0958; card gc_1234abcd on 2026-11-30 $12,345.67. ',
      size,
    ),
}

/**
 * Median CPU seconds per call of `work` (user + system time of this process, so other processes
 * sharing the machine do not inflate the long runs more than the short ones), each sample
 * `batch` calls long, sampled until `minSeconds` have passed and at least `minSamples` taken.
 */
function timeIt(
  work: () => void,
  options: { batch: number; minSeconds: number; minSamples: number },
) {
  const samples: number[] = []
  const began = performance.now()
  while (
    samples.length < options.minSamples ||
    (performance.now() - began) / 1000 < options.minSeconds
  ) {
    const before = process.cpuUsage()
    for (let i = 0; i < options.batch; i++) work()
    const used = process.cpuUsage(before)
    samples.push((used.user + used.system) / 1e6 / options.batch)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)] as number
}

/**
 * `npm run bench -- scrub`: the pseudonymiser's free-text scrub on 10 KiB and 1 MiB of each
 * shape, and the ratio of the two (target ≤ 250: linear is ~102). Beside it, in the same run,
 * the baseline: the old patterns on 10 and 40 KiB of letters, whose ratio shows quadratic
 * growth (~16× for 4× the text; at 1 MiB they would take minutes).
 */
export async function scrubBench(_args: string[]): Promise<void> {
  const pii = new Pseudonymiser('bench-key')
  const results = []
  for (const [shape, make] of Object.entries(SHAPES)) {
    const small = make(SMALL)
    const large = make(LARGE)
    pii.scrubText(small) // warm up: compiled code, the Unicode class cache
    const smallSeconds = timeIt(() => pii.scrubText(small), {
      batch: 200,
      minSeconds: 1,
      minSamples: 5,
    })
    const largeSeconds = timeIt(() => pii.scrubText(large), {
      batch: 2,
      minSeconds: 1,
      minSamples: 5,
    })
    const ratio = largeSeconds / smallSeconds
    results.push({
      shape,
      smallMs: Number((smallSeconds * 1000).toFixed(3)),
      largeMs: Number((largeSeconds * 1000).toFixed(1)),
      ratio: Number(ratio.toFixed(1)),
      target: TARGET_RATIO,
      pass: ratio <= TARGET_RATIO,
    })
  }
  const legacy = (text: string) => text.replace(LEGACY_EMAIL, 'e').replace(LEGACY_PHONE, 'p')
  const legacySmall = timeIt(() => legacy(fill('a', SMALL)), {
    batch: 2,
    minSeconds: 0,
    minSamples: 3,
  })
  const legacyLarger = timeIt(() => legacy(fill('a', 4 * SMALL)), {
    batch: 1,
    minSeconds: 0,
    minSamples: 1,
  })
  const baseline = {
    shape: 'letters, old patterns',
    smallMs: Number((legacySmall * 1000).toFixed(3)),
    fourTimesMs: Number((legacyLarger * 1000).toFixed(1)),
    ratio: Number((legacyLarger / legacySmall).toFixed(1)),
  }
  console.log(JSON.stringify({ bench: 'scrub', results, baseline }, null, 2))
  for (const r of results)
    console.log(
      `scrub ${r.shape}: 10 KiB ${r.smallMs} ms, 1 MiB ${r.largeMs} ms, ratio ${r.ratio} (linear ≈ 102, target ≤ ${TARGET_RATIO}) ${r.pass ? 'PASS' : 'FAIL'}`,
    )
  console.log(
    `baseline (old patterns, letters): 10 KiB ${baseline.smallMs} ms, 40 KiB ${baseline.fourTimesMs} ms, ratio ${baseline.ratio} for 4× the text (quadratic ≈ 16)`,
  )
}
