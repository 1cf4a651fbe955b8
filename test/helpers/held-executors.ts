import type { Config } from '../../core/index.ts'
import type { ApprovalExecutor, PosConnector } from '../../governance/index.ts'
import { TOOLS } from '../../tools/index.ts'

/**
 * The real executors of the write tools, each preparation first waiting for `hold()` to
 * resolve: a live execution stopped after its decision committed and before it claimed the
 * request (where a campaign launch spends its preparation). Nothing else differs from
 * `createToolkit`'s executors.
 */
export function heldExecutors(
  config: Config,
  connector: PosConnector,
  hold: () => Promise<void>,
): Record<string, ApprovalExecutor> {
  const executors: Record<string, ApprovalExecutor> = {}
  for (const tool of TOOLS) {
    if (tool.access !== 'write') continue
    const real = tool.executor({ config, connector })
    executors[tool.name] = {
      apply: real.apply,
      prepare: async (database, args) => {
        await hold()
        return real.prepare?.(database, args)
      },
    }
  }
  return executors
}

/** A POS connector that records every call it passes on, with its idempotency key. */
export function countingConnector(inner: PosConnector): PosConnector & { keys: string[] } {
  const keys: string[] = []
  return {
    keys,
    placeHold: (card, key) => {
      keys.push(key)
      return inner.placeHold(card, key)
    },
    releaseHold: (card, amount, key) => {
      keys.push(key)
      return inner.releaseHold(card, amount, key)
    },
  }
}
