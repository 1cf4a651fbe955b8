import { inflateSync } from 'node:zlib'

/**
 * A small PNG decoder for the chart tests (resvg encodes, it does not decode): the signature,
 * IHDR, the IDAT stream inflated and un-filtered (PNG spec §9, filter types 0–4), for the
 * 8-bit RGBA and RGB images resvg writes. https://www.w3.org/TR/png-3/
 */
export type DecodedPng = {
  width: number
  height: number
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  pixels: Uint8Array
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature')
  let at = 8
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  let ended = false
  while (at < png.length) {
    const length = png.readUInt32BE(at)
    const type = png.toString('latin1', at + 4, at + 8)
    const data = png.subarray(at + 8, at + 8 + length)
    at += 12 + length
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      const depth = data[8]
      const colour = data[9]
      if (depth !== 8 || (colour !== 6 && colour !== 2) || data[12] !== 0)
        throw new Error(
          `unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${data[12]}`,
        )
      channels = colour === 6 ? 4 : 3
    } else if (type === 'IDAT') idat.push(data)
    else if (type === 'IEND') {
      ended = true
      break
    }
  }
  if (!ended || width === 0 || idat.length === 0) throw new Error('truncated PNG')
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  if (raw.length !== height * (stride + 1)) throw new Error('PNG data of the wrong length')
  const out = new Uint8Array(width * height * 4)
  let previous = new Uint8Array(stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const current = new Uint8Array(stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (current[x - channels] ?? 0) : 0
      const b = previous[x] ?? 0
      const c = x >= channels ? (previous[x - channels] ?? 0) : 0
      const value = line[x] ?? 0
      let predicted = 0
      if (filter === 1) predicted = a
      else if (filter === 2) predicted = b
      else if (filter === 3) predicted = (a + b) >> 1
      else if (filter === 4) {
        const p = a + b - c
        const pa = Math.abs(p - a)
        const pb = Math.abs(p - b)
        const pc = Math.abs(p - c)
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`)
      current[x] = (value + predicted) & 0xff
    }
    for (let x = 0; x < width; x++) {
      const to = (y * width + x) * 4
      const from = x * channels
      out[to] = current[from] ?? 0
      out[to + 1] = current[from + 1] ?? 0
      out[to + 2] = current[from + 2] ?? 0
      out[to + 3] = channels === 4 ? (current[from + 3] ?? 0) : 255
    }
    previous = current
  }
  return { width, height, pixels: out }
}

/** How many distinct colours the image has, and how many pixels are not (near) white. */
export function inkOf(
  png: DecodedPng,
  region?: { x0: number; y0: number; x1: number; y1: number },
) {
  const colours = new Set<number>()
  let ink = 0
  const { x0, y0, x1, y1 } = region ?? { x0: 0, y0: 0, x1: png.width, y1: png.height }
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4
      const r = png.pixels[i] ?? 0
      const g = png.pixels[i + 1] ?? 0
      const b = png.pixels[i + 2] ?? 0
      colours.add((r << 16) | (g << 8) | b)
      if (r < 200 || g < 200 || b < 200) ink++
    }
  return { colours: colours.size, ink }
}
