import type { Config } from '../../core/index.ts'
import { type ApprovalExecutor, PosRouter, SquareConnector } from '../../governance/index.ts'
import { TOOLS } from '../../tools/index.ts'

/**
 * The real executors of the write tools, each preparation first waiting for `hold()` to
 * resolve: a live execution stopped after its decision committed and before it claimed the
 * request (where a campaign launch spends its preparation). Nothing else differs from
 * `createToolkit`'s executors.
 */
export function heldExecutors(
  config: Config,
  pos: PosRouter,
  hold: () => Promise<void>,
): Record<string, ApprovalExecutor> {
  const executors: Record<string, ApprovalExecutor> = {}
  for (const tool of TOOLS) {
    if (tool.access !== 'write') continue
    const real = tool.executor({ config, pos })
    executors[tool.name] = {
      ...real,
      prepare: async (database, args) => {
        await hold()
        return real.prepare?.(database, args)
      },
    }
  }
  return executors
}

/** Holds on Square cards go to this (fake) Square; every other card is ledger only. */
export function squareRouter(baseUrl: string, accessToken: string, timeoutMs?: number): PosRouter {
  return new PosRouter({
    square: new SquareConnector({
      baseUrl,
      accessToken,
      apiVersion: '2025-10-16',
      ...(timeoutMs ? { timeoutMs } : {}),
    }),
  })
}
