/**
 * The best `k` of a stream of items without holding or sorting them all (a heap whose root is
 * the worst item kept): O(n log k) time, O(k) memory. `before(a, b)` is true when `a` ranks
 * ahead of `b`; it must be a strict total order for the result to be deterministic.
 */
export class TopK<T> {
  private readonly heap: T[] = []

  constructor(
    private readonly k: number,
    private readonly before: (a: T, b: T) => boolean,
  ) {}

  offer(item: T): void {
    const heap = this.heap
    if (heap.length < this.k) {
      heap.push(item)
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1
        if (!this.before(heap[parent] as T, heap[i] as T)) break
        this.swap(i, parent)
        i = parent
      }
      return
    }
    if (this.k === 0 || !this.before(item, heap[0] as T)) return
    heap[0] = item
    for (let i = 0; ; ) {
      const l = 2 * i + 1
      const r = l + 1
      let worst = i
      if (l < heap.length && this.before(heap[worst] as T, heap[l] as T)) worst = l
      if (r < heap.length && this.before(heap[worst] as T, heap[r] as T)) worst = r
      if (worst === i) break
      this.swap(i, worst)
      i = worst
    }
  }

  /** The items kept, best first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => (this.before(a, b) ? -1 : this.before(b, a) ? 1 : 0))
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a] as T
    this.heap[a] = this.heap[b] as T
    this.heap[b] = t
  }
}
