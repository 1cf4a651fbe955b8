import { describe, expect, it } from 'vitest'
import { FloatColumn, hash32, IntColumn, Interner, NumberSet } from '../../analytics/columns.ts'
import { Rng } from '../../core/index.ts'

describe('the analytics columns', () => {
  it('NumberSet holds exactly what a Set holds, across resizes, for keys up to 2^53', () => {
    const rng = new Rng(7)
    const set = new NumberSet()
    const reference = new Set<number>()
    const added: number[] = []
    for (let i = 0; i < 200_000; i++) {
      // Card numbers times 2^32 plus a 32-bit hash, as the engine builds them; many repeats.
      const fresh = rng.int(0, 50_000) * 4_294_967_296 + rng.int(0, 2 ** 32 - 1)
      const key = i % 3 === 0 && added.length > 0 ? (added[i % added.length] as number) : fresh
      set.add(key)
      reference.add(key)
      added.push(key)
    }
    expect(set.size).toBe(reference.size)
    for (const key of reference) expect(set.has(key)).toBe(true)
    let absent = 0
    for (let i = 0; i < 20_000; i++) {
      const key = rng.int(50_001, 100_000) * 4_294_967_296 + rng.int(0, 1000)
      if (!set.has(key)) absent++
    }
    expect(absent).toBe(20_000)
    expect(set.has(0)).toBe(reference.has(0))
    set.add(0)
    expect(set.has(0)).toBe(true)
  })

  it('numbers keys densely in order of first sight and grows columns with their empty value', () => {
    const names = new Interner()
    expect([names.number('a'), names.number('b'), names.number('a')]).toEqual([0, 1, 0])
    expect(names.peek('c')).toBeUndefined()
    expect(names.size).toBe(2)
    // Through many growths, with fresh string objects for the same keys.
    const many = new Interner()
    for (let i = 0; i < 100_000; i++) expect(many.number(`gc_${i.toString(36)}`)).toBe(i)
    for (let i = 0; i < 100_000; i += 7) {
      const key = ['gc_', i.toString(36)].join('')
      expect(many.number(key)).toBe(i)
      expect(many.peek(key)).toBe(i)
    }
    expect(many.peek('gc_absent')).toBeUndefined()
    expect(many.size).toBe(100_000)
    const at = new FloatColumn(Number.NaN)
    const count = new IntColumn()
    expect(at.get(5_000)).toBeNaN()
    at.set(5_000, 1.5)
    count.set(70_000, 3)
    expect([at.get(5_000), at.get(4_999), count.get(70_000), count.get(69_999)]).toEqual([
      1.5,
      Number.NaN,
      3,
      0,
    ])
  })

  it('hashes order ids with FNV-1a', () => {
    // Published FNV-1a 32-bit test vectors.
    expect(hash32('')).toBe(0x811c9dc5)
    expect(hash32('a')).toBe(0xe40c292c)
    expect(hash32('foobar')).toBe(0xbf9cf968)
  })
})
