import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Resvg } from '@resvg/resvg-js'
import type * as Vega from 'vega'
import { GiftCardError } from '../core/index.ts'
import type { Chart } from './chart.ts'
import { type FontMetrics, readFontMetrics, textWidth } from './text-width.ts'

/**
 * Server-side rendering without a browser (docs/charts.md): Vega-Lite compiles the spec to a
 * Vega spec, a headless Vega view (`renderer: 'none'`) writes the scene as an SVG string, and
 * resvg rasterises it to PNG.
 *
 * resvg draws text only with a font it was given, and Vega asks for `sans-serif`. The font
 * files below are loaded explicitly (the first family found answers `sans-serif`); the
 * system's fonts are scanned only when none of them exists, which is slower and may find none,
 * hence `chartFonts()` for a test or a start-up check. Debian: fonts-dejavu-core or
 * fonts-liberation. resvg's options: https://github.com/yisibl/resvg-js#options
 */

/** Font files tried in order: Debian/Ubuntu, Fedora, Arch and Alpine paths of the same fonts. */
const FONT_CANDIDATES: readonly { family: string; files: readonly string[] }[] = [
  {
    family: 'DejaVu Sans',
    files: [
      '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
      '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
      '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
      '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf',
      '/usr/share/fonts/TTF/DejaVuSans.ttf',
      '/usr/share/fonts/TTF/DejaVuSans-Bold.ttf',
      '/usr/share/fonts/dejavu/DejaVuSans.ttf',
      '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf',
    ],
  },
  {
    family: 'Liberation Sans',
    files: [
      '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
      '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
      '/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf',
      '/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf',
      '/usr/share/fonts/TTF/LiberationSans-Regular.ttf',
      '/usr/share/fonts/TTF/LiberationSans-Bold.ttf',
    ],
  },
]

export type ChartFonts = { readonly family: string | null; readonly files: readonly string[] }

let fonts: ChartFonts | undefined

/** The font files charts are drawn with (found once): none means the system's fonts are scanned. */
export function chartFonts(): ChartFonts {
  if (fonts) return fonts
  for (const candidate of FONT_CANDIDATES) {
    const files = candidate.files.filter((f) => existsSync(f))
    if (files.length > 0) {
      fonts = { family: candidate.family, files }
      return fonts
    }
  }
  fonts = { family: null, files: [] }
  return fonts
}

/** Vega's text measure, replaceable (vega-scenegraph's `textMetrics`; not in its typings). */
type VegaItem = { fontSize?: number; fontWeight?: string | number }
type TextMetrics = { width: (item: VegaItem, text: unknown) => number }

let measuring = false

/**
 * Lays text out with the widths of the fonts resvg draws with (charts/text-width.ts), once per
 * process; without a readable font file Vega keeps its own estimate.
 */
function measureWithChartFonts(vega: typeof Vega): void {
  if (measuring) return
  measuring = true
  const { files } = chartFonts()
  const regularFile = files.find((f) => !/bold/i.test(f))
  const boldFile = files.find((f) => /bold/i.test(f))
  const regular = regularFile ? readFontMetrics(regularFile) : undefined
  if (!regular) return
  const bold: FontMetrics = (boldFile && readFontMetrics(boldFile)) || regular
  const { textMetrics } = vega as unknown as { textMetrics: TextMetrics }
  textMetrics.width = (item, text) => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11
    const weight = item.fontWeight
    const isBold =
      weight === 'bold' || weight === 'bolder' || (typeof weight === 'number' && weight >= 600)
    return textWidth(isBold ? bold : regular, String(text ?? '').trim(), size)
  }
}

/** The PNG's default width in pixels: twice the spec's, sharp on a high-density screen. */
export const DEFAULT_PNG_WIDTH = 1200
export const MIN_PNG_WIDTH = 200
export const MAX_PNG_WIDTH = 4000

/**
 * Vega and Vega-Lite, loaded on the first chart drawn: together they take half a second to
 * import, which every CLI command and server start would otherwise pay (docs/charts.md).
 */
let engines: Promise<{ vega: typeof Vega; compile: typeof import('vega-lite').compile }> | undefined
function loadEngines() {
  engines ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({
    vega,
    compile: vl.compile,
  }))
  return engines
}

/** The chart as an SVG document (what the PNG is rasterised from). */
export async function renderChartSvg(chart: Chart): Promise<string> {
  let view: Vega.View | undefined
  try {
    const { vega, compile } = await loadEngines()
    const spec = compile(chart.spec).spec
    // Data is inline: no loader is used, so nothing is fetched from the network or disk.
    measureWithChartFonts(vega)
    view = new vega.View(vega.parse(spec), { renderer: 'none' })
    return await view.toSVG()
  } catch (err) {
    // Vega's own words stay in the cause (for the log), not in the message a client may see.
    throw new GiftCardError('INTERNAL', `the ${chart.name} chart could not be drawn`, {
      cause: err,
    })
  } finally {
    view?.finalize()
  }
}

/** The chart as a PNG, `width` pixels wide (default 1200, 200 to 4000), on white. */
export async function renderChartPng(chart: Chart, opts: { width?: number } = {}): Promise<Buffer> {
  const width = opts.width ?? DEFAULT_PNG_WIDTH
  if (!Number.isInteger(width) || width < MIN_PNG_WIDTH || width > MAX_PNG_WIDTH)
    throw new GiftCardError(
      'INVALID_INPUT',
      `a chart's width must be a whole number of pixels from ${MIN_PNG_WIDTH} to ${MAX_PNG_WIDTH}`,
    )
  // The same spec at the same width draws the same picture: a dashboard's charts are asked for
  // again on every view, and the data behind them changes only with the ledger.
  const key = createHash('sha256')
    .update(JSON.stringify(chart.spec))
    .update(`|${width}`)
    .digest('hex')
  const kept = pngsKept.get(key)
  if (kept) {
    pngsKept.delete(key)
    pngsKept.set(key, kept)
    return kept
  }
  const png = svgToPng(await renderChartSvg(chart), width)
  pngsKept.set(key, png)
  while (pngsKept.size > KEPT_PNGS) pngsKept.delete(pngsKept.keys().next().value as string)
  return png
}

/**
 * PNGs drawn lately, by the hash of their spec (data inline) and width, most recently used
 * last: a few dozen charts of 20–200 KB. A kept PNG is only ever handed to a caller whose spec
 * is the same, so who may see it was already settled by the tool call that made the spec.
 */
const pngsKept = new Map<string, Buffer>()
const KEPT_PNGS = 32

/** Rasterises an SVG string with the chart fonts. */
export function svgToPng(svg: string, width: number): Buffer {
  const { family, files } = chartFonts()
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'width', value: width },
    font: family
      ? {
          fontFiles: [...files],
          loadSystemFonts: false,
          defaultFontFamily: family,
          sansSerifFamily: family,
        }
      : { loadSystemFonts: true },
  })
  return resvg.render().asPng()
}
