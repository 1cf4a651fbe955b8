import { benchmarks } from './registry.ts'

/**
 * `npm run bench -- NAME [args]`: runs one benchmark. Each prints JSON (the figures) and ends
 * with a one-line summary.
 */
const [name, ...args] = process.argv.slice(2)
const bench = name ? benchmarks[name] : undefined
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benchmarks).join('|')}> [options]`)
  process.exitCode = 2
} else {
  await bench(args)
}
