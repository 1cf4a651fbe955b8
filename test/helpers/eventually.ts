/** Retries `check` until it passes or the time is up (for work a face does after its ack). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() - started > timeoutMs) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
