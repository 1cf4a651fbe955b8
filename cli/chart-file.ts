import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import type { Chart, ChartName } from '../charts/index.ts'
import { GiftCardError } from '../core/index.ts'
import type { CliContext } from './context.ts'
import { parseOptions } from './options.ts'
import { actorFor, callForCommand, withToolkit } from './session.ts'

/**
 * `--chart FILE.png` on `liability`, `forecast` and `fraud alerts` (docs/charts.md): the
 * command's chart rendered server-side and written to a file, with a line saying where.
 * charts/ (Vega, Vega-Lite, resvg) is loaded only when a chart is asked for, so every other
 * `giftcards` run starts without it.
 */
const charts = () => import('../charts/index.ts')

/** The chart `name` drawn from a tool's result (see charts/from-result.ts). */
export async function chartOf(name: ChartName, result: unknown): Promise<Chart> {
  return (await charts()).chartFromResult(name, result)
}

const chartPath = z.object({
  chart: z
    .string()
    .min(5, { error: 'must name a .png file' })
    .max(1000, { error: 'is too long (at most 1000 characters)' })
    .regex(/\.png$/i, { error: 'must name a .png file, e.g. --chart liability.png' }),
})

/** The file `--chart` names, checked before any work is done; undefined without the flag. */
export function chartFileOption(raw: { chart?: unknown }): string | undefined {
  if (raw.chart === undefined) return undefined
  return parseOptions(chartPath, { chart: raw.chart }).chart
}

/**
 * The chart `name` from its tool called through the registry's executor as the command's
 * actor (role check, pilot scope, audit row `via = cli`), with the command's own arguments.
 */
export async function chartFromTool(
  ctx: CliContext,
  name: ChartName,
  tool: string,
  args: Record<string, unknown>,
): Promise<Chart> {
  const data = await withToolkit(ctx, async (kit, database) =>
    callForCommand(
      `--chart (${name})`,
      kit.executor,
      tool,
      args,
      await actorFor(ctx, database, undefined),
    ),
  )
  return chartOf(name, data)
}

/**
 * Renders `chart` to `file` and says where: on stdout, or on stderr when stdout carries JSON.
 * A chart with nothing to draw is still written (it says why) and the line says so too.
 */
export async function writeChartFile(chart: Chart, file: string, json: boolean): Promise<void> {
  const png = await (await charts()).renderChartPng(chart)
  try {
    writeFileSync(file, png)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new GiftCardError(
      'INVALID_INPUT',
      `--chart: cannot write ${file}: ${code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`,
    )
  }
  const line = `Chart "${chart.title}" written to ${file}${chart.empty ? ` (nothing to draw: ${chart.empty})` : ''}`
  if (json) process.stderr.write(`${line}\n`)
  else console.log(line)
}
