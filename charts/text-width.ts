import { readFileSync } from 'node:fs'

/**
 * Text widths from the font files the PNG is drawn with, for Vega's layout. Without a canvas
 * Vega guesses every character at 0.8 em, so titles, legends and axis labels are laid out far
 * wider than resvg draws them (a blank strip to the right, legend labels cut with "…"). Vega
 * lets the width function be replaced (`textMetrics.width`, as vl-convert does); this one sums
 * the glyphs' advance widths read from the TrueType tables (OpenType spec: `head`, `hhea`,
 * `hmtx`, `cmap` format 4, https://learn.microsoft.com/typography/opentype/spec/).
 */

export type FontMetrics = {
  /** Advance width of a character in em (a missing glyph: the average of the font's digits). */
  advance(char: string): number
}

/** Reads a TrueType file's advance widths; undefined when it is not a font this can read. */
export function readFontMetrics(path: string): FontMetrics | undefined {
  try {
    return parseFont(readFileSync(path))
  } catch {
    return undefined
  }
}

function parseFont(buf: Buffer): FontMetrics | undefined {
  const tables = new Map<string, number>()
  const count = buf.readUInt16BE(4)
  for (let i = 0; i < count; i++) {
    const at = 12 + i * 16
    tables.set(buf.toString('latin1', at, at + 4), buf.readUInt32BE(at + 8))
  }
  const head = tables.get('head')
  const hhea = tables.get('hhea')
  const hmtx = tables.get('hmtx')
  const cmap = tables.get('cmap')
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined)
    return undefined
  const unitsPerEm = buf.readUInt16BE(head + 18)
  const metrics = buf.readUInt16BE(hhea + 34)
  const advanceOf = (glyph: number) =>
    buf.readUInt16BE(hmtx + 4 * Math.min(glyph, metrics - 1)) / unitsPerEm
  const glyphOf = format4Lookup(buf, cmap)
  if (!glyphOf) return undefined
  const fallback = advanceOf(glyphOf(0x30))
  const cache = new Map<string, number>()
  return {
    advance(char) {
      let width = cache.get(char)
      if (width === undefined) {
        const code = char.codePointAt(0) ?? 0
        const glyph = code <= 0xffff ? glyphOf(code) : 0
        width = glyph === 0 ? fallback : advanceOf(glyph)
        cache.set(char, width)
      }
      return width
    },
  }
}

/** The glyph of a BMP character from the font's Unicode cmap subtable of format 4. */
function format4Lookup(buf: Buffer, cmap: number): ((code: number) => number) | undefined {
  const subtables = buf.readUInt16BE(cmap + 2)
  let table: number | undefined
  for (let i = 0; i < subtables; i++) {
    const at = cmap + 4 + i * 8
    const platform = buf.readUInt16BE(at)
    const encoding = buf.readUInt16BE(at + 2)
    const offset = cmap + buf.readUInt32BE(at + 4)
    if (buf.readUInt16BE(offset) !== 4) continue
    // Windows Unicode BMP (3,1) or Unicode BMP (0,3).
    if ((platform === 3 && encoding === 1) || (platform === 0 && encoding === 3)) table = offset
  }
  if (table === undefined) return undefined
  const start = table
  const segments = buf.readUInt16BE(start + 6) / 2
  const ends = start + 14
  const starts = ends + segments * 2 + 2
  const deltas = starts + segments * 2
  const rangeOffsets = deltas + segments * 2
  return (code) => {
    for (let i = 0; i < segments; i++) {
      if (buf.readUInt16BE(ends + i * 2) < code) continue
      const first = buf.readUInt16BE(starts + i * 2)
      if (first > code) return 0
      const delta = buf.readInt16BE(deltas + i * 2)
      const rangeAt = rangeOffsets + i * 2
      const range = buf.readUInt16BE(rangeAt)
      if (range === 0) return (code + delta) & 0xffff
      const glyph = buf.readUInt16BE(rangeAt + range + 2 * (code - first))
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff
    }
    return 0
  }
}

/** The width of `text` in pixels at `fontSize`, from `metrics`. */
export function textWidth(metrics: FontMetrics, text: string, fontSize: number): number {
  let em = 0
  for (const char of text) em += metrics.advance(char)
  return em * fontSize
}
