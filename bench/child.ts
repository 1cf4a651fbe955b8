import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Runs one measurement in a fresh Node process, so its peak RSS is its own, and returns the
 * JSON object the child printed on its last stdout line.
 */
export async function runChild<T>(script: string, args: string[]): Promise<T> {
  const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))
  const child = spawn(
    process.execPath,
    ['--expose-gc', tsx, fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    out += chunk
  })
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)))
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}`)
  const last = out.trim().split('\n').at(-1) ?? '{}'
  return JSON.parse(last) as T
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024)
}
