import { readdirSync, readFileSync } from 'node:fs'
import { join, posix, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The layers of docs/architecture.md §1.0 and the direction of imports between them, held from
 * the `import` and `export … from` lines of every .ts (and .mjs) file in the repository.
 */

const ROOT = join(import.meta.dirname, '..')

/** What each top-level folder may import (docs/architecture.md §1.0, "the rule" column). */
const MAY_IMPORT = {
  core: [],
  db: ['core'],
  synth: ['core', 'db'],
  // The streaming fraud hook plugs in through ingest's EventListener (app/server.ts wires it).
  ingest: ['core', 'db'],
  analytics: ['core', 'db'],
  governance: ['core', 'db'],
  // The finance close: recognition from the breakage forecast and the escheat rules (docs/finance.md).
  finance: ['core', 'db', 'analytics'],
  // The checkout endpoint keeps to a pilot through governance's scope (docs/pilot.md).
  checkout: ['core', 'db', 'analytics', 'ingest', 'governance'],
  tools: ['core', 'db', 'analytics', 'governance', 'finance'],
  // Chart specs and their rendering from tool results; no ledger, no tools (docs/charts.md).
  charts: ['core'],
  // The faces never open a database: they receive a toolkit (and the agent a checkpointer).
  agent: ['core', 'tools', 'governance'],
  'mcp-server': ['core', 'tools', 'governance', 'charts'],
  'slack-app': ['core', 'agent', 'tools', 'governance', 'charts'],
  // The dashboard is a face: it receives the executor, the approvals and a session store.
  dashboard: ['core', 'tools', 'governance', 'charts'],
  // The composition root: every library layer, and none of the entry points that call it.
  app: [
    'core',
    'db',
    'synth',
    'ingest',
    'analytics',
    'governance',
    'finance',
    'checkout',
    'tools',
    'charts',
    'agent',
    'mcp-server',
    'slack-app',
    'dashboard',
  ],
  cli: [
    'core',
    'db',
    'synth',
    'ingest',
    'analytics',
    'governance',
    'finance',
    'checkout',
    'tools',
    'charts',
    'agent',
    'mcp-server',
    'slack-app',
    'app',
    'evals',
  ],
  // The evals reach the ledger and the faces through app/, never db/ or cli/.
  evals: [
    'core',
    'synth',
    'ingest',
    'analytics',
    'governance',
    'checkout',
    'tools',
    'charts',
    'agent',
    'mcp-server',
    'slack-app',
    'app',
  ],
  bench: [
    'core',
    'db',
    'synth',
    'ingest',
    'analytics',
    'governance',
    'finance',
    'checkout',
    'tools',
    'charts',
    'agent',
    'mcp-server',
    'slack-app',
    'app',
    'evals',
    'cli',
  ],
} as const satisfies Record<string, readonly string[]>

type Layer = keyof typeof MAY_IMPORT

/**
 * Imports the rule forbids that are known and tracked; each must still exist (remove it when
 * its issue lands), and no other file may lean on it.
 */
const KNOWN_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = []

/**
 * Imports of another layer's file other than its index.ts (docs/architecture.md §1.0,
 * "exceptions to import only index.ts"). synth/ has no index.ts, so its files are imported
 * directly; test/ reaches into everything.
 */
const INTERNAL_IMPORTS: readonly { from: string; to: string }[] = [
  { from: 'bench/import-child.ts', to: 'db/engines/sqlite.ts' },
  { from: 'bench/soak.ts', to: 'evals/slack-loopback.ts' },
  // The CLI opens the ledger without loading app/'s faces and agent (docs/architecture.md §1.12).
  { from: 'cli/context.ts', to: 'app/ledger.ts' },
]

/** Driver packages only db/ may load: only db/ knows which engine it is on (§1.2). */
const ENGINE_PACKAGES = [
  'pg',
  'better-sqlite3',
  '@langchain/langgraph-checkpoint-sqlite',
  '@langchain/langgraph-checkpoint-postgres',
]

/** Every import specifier in `source`: static, type-only, re-exports and dynamic `import()`. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName)
}

/** One import from a repository file, with the repository path it resolves to if relative. */
type Edge = { from: string; spec: string; to?: string }

function sourceFiles(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'data', 'coverage'].includes(entry.name) || entry.name.startsWith('.'))
      continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...sourceFiles(path))
    else if (/\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) found.push(path)
  }
  return found
}

function edgesOf(file: string, source: string): Edge[] {
  return importsOf(source).map((spec) =>
    spec.startsWith('.')
      ? { from: file, spec, to: posix.normalize(posix.join(posix.dirname(file), spec)) }
      : { from: file, spec },
  )
}

const layerOf = (path: string): string => path.split('/')[0] ?? path

/** What the rules say about a set of imports: one line per import they forbid. */
function violations(edges: readonly Edge[]): string[] {
  const problems: string[] = []
  for (const edge of edges) {
    const from = layerOf(edge.from)
    if (from === 'test' || !edge.from.includes('/')) continue
    if (!(from in MAY_IMPORT)) {
      problems.push(`${edge.from}: the folder ${from}/ is not in the layer table`)
      continue
    }
    if (!edge.to) {
      if (from !== 'db' && from !== 'bench' && ENGINE_PACKAGES.includes(edge.spec))
        problems.push(`${edge.from} loads the engine package ${edge.spec}: only db/ may`)
      continue
    }
    const to = layerOf(edge.to)
    if (to === from) continue
    const known = KNOWN_EXCEPTIONS.some((e) => e.from === edge.from && e.to === edge.to)
    if (!known && !(MAY_IMPORT[from as Layer] as readonly string[]).includes(to))
      problems.push(`${edge.from} imports ${edge.to}: ${from}/ may not import ${to}/`)
    const internal = !edge.to.endsWith('/index.ts') || edge.to.split('/').length > 2
    const allowedInternal =
      to === 'synth' || INTERNAL_IMPORTS.some((e) => e.from === edge.from && e.to === edge.to)
    if (internal && !allowedInternal)
      problems.push(`${edge.from} imports ${edge.to}: import ${to}/index.ts instead`)
  }
  return problems
}

function repositoryEdges(): Edge[] {
  return sourceFiles(ROOT).flatMap((path) =>
    edgesOf(relative(ROOT, path).split(/[\\/]/).join('/'), readFileSync(path, 'utf8')),
  )
}

describe('the import rules of docs/architecture.md §1.0', () => {
  const edges = repositoryEdges()

  it('reads every kind of import line', () => {
    const source = [
      `import { a,`,
      `  b } from '../db/index.ts'`,
      `import type { Database } from "../db/connection.ts"`,
      `export * from './agent.ts'`,
      `export { x } from '../cli/server.ts'`,
      `import '../core/side-effect.ts'`,
      `const m = await import('../cli/commands/start.ts')`,
      `// import { gone } from '../commented.ts'`,
    ].join('\n')
    expect(importsOf(source)).toEqual([
      '../db/index.ts',
      '../db/connection.ts',
      './agent.ts',
      '../cli/server.ts',
      '../core/side-effect.ts',
      '../cli/commands/start.ts',
    ])
  })

  it('flags a face that imports db/ or cli/, an internal file and an engine driver', () => {
    const made = [
      ...edgesOf('agent/agent.ts', `import type { Database } from '../db/index.ts'`),
      ...edgesOf('mcp-server/http.ts', `import { x } from '../cli/session.ts'`),
      ...edgesOf('evals/heldout.ts', `import { y } from '../db/index.ts'`),
      ...edgesOf('slack-app/blocks.ts', `import { z } from '../db/index.ts'`),
      ...edgesOf('tools/toolkit.ts', `import { w } from '../governance/audit.ts'`),
      ...edgesOf(
        'agent/models.ts',
        `import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'`,
      ),
      ...edgesOf('governance/roles.ts', `import { t } from '../tools/index.ts'`),
    ]
    expect(violations(made)).toEqual([
      'agent/agent.ts imports db/index.ts: agent/ may not import db/',
      'mcp-server/http.ts imports cli/session.ts: mcp-server/ may not import cli/',
      'mcp-server/http.ts imports cli/session.ts: import cli/index.ts instead',
      'evals/heldout.ts imports db/index.ts: evals/ may not import db/',
      'slack-app/blocks.ts imports db/index.ts: slack-app/ may not import db/',
      'tools/toolkit.ts imports governance/audit.ts: import governance/index.ts instead',
      'agent/models.ts loads the engine package @langchain/langgraph-checkpoint-sqlite: only db/ may',
      'governance/roles.ts imports tools/index.ts: governance/ may not import tools/',
    ])
  })

  it('finds the repository’s own imports (the scan is not empty)', () => {
    expect(edges.some((e) => e.from === 'app/server.ts' && e.to === 'agent/index.ts')).toBe(true)
    expect(edges.some((e) => e.from.startsWith('evals/') && e.to === 'app/index.ts')).toBe(true)
  })

  it('no file imports across layers against the rules', () => {
    expect(violations(edges)).toEqual([])
  })

  it('every known exception is still needed (remove it when its issue lands)', () => {
    for (const exception of [...KNOWN_EXCEPTIONS, ...INTERNAL_IMPORTS])
      expect(
        edges.some((e) => e.from === exception.from && e.to === exception.to),
        `${exception.from} → ${exception.to}`,
      ).toBe(true)
  })
})
