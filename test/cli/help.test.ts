import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command, Option } from 'commander'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { JOBS } from '../../app/index.ts'
import { buildProgram } from '../../cli/program.ts'
import { LIABILITY_GROUPS } from '../../db/index.ts'
import { HELDOUT_FILE } from '../../evals/index.ts'
import { APPROVAL_STATUSES, ROLES } from '../../governance/index.ts'

/**
 * The command definitions (cli/commands/) are what `giftcards --help` reads, so they load none
 * of the layers (docs/architecture.md §1.12): the lists their help names are written out there,
 * and held here to the constants the actions check against.
 */

const ROOT = join(import.meta.dirname, '..', '..')

const program = buildProgram(() => {
  throw new Error('no command runs here')
})

function command(...path: string[]): Command {
  let cmd: Command = program
  for (const name of path) {
    const sub = cmd.commands.find((c) => c.name() === name)
    if (!sub) throw new Error(`no command ${path.join(' ')}`)
    cmd = sub
  }
  return cmd
}

function option(cmd: Command, flag: string): Option {
  const found = cmd.options.find((o) => o.long === flag)
  if (!found) throw new Error(`${cmd.name()} has no ${flag}`)
  return found
}

describe('the help of the command definitions', () => {
  it('names the lists the actions accept', () => {
    expect(option(command('approvals', 'list'), '--status').description).toBe(
      APPROVAL_STATUSES.join(' | '),
    )
    expect(command('roles', 'grant').description()).toContain(ROLES.join(' | '))
    expect(option(command('tokens', 'create'), '--role').description).toContain(ROLES.join(' | '))
    expect(option(command('liability'), '--by').description).toBe(LIABILITY_GROUPS.join(' | '))
    expect(command('jobs', 'run').registeredArguments[0]?.description).toBe(
      JOBS.map((j) => j.name).join(' | '),
    )
    expect(option(command('heldout'), '--file').defaultValue).toBe(HELDOUT_FILE)
  })

  it('imports, in the definitions and what loads them, only commander, core/ and cli/flags.ts', () => {
    const files = [
      'cli/main.ts',
      'cli/program.ts',
      'cli/flags.ts',
      ...readdirSync(join(ROOT, 'cli', 'commands')).map((f) => `cli/commands/${f}`),
    ]
    const allowed = new Set(['commander', 'node:path', '../core/index.ts', '../../core/index.ts'])
    const problems: string[] = []
    for (const file of files) {
      const source = ts.createSourceFile(
        file,
        readFileSync(join(ROOT, file), 'utf8'),
        ts.ScriptTarget.Latest,
      )
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
        const spec = statement.moduleSpecifier
        if (!spec || !ts.isStringLiteral(spec)) continue
        const typeOnly = ts.isImportDeclaration(statement)
          ? statement.importClause?.isTypeOnly === true ||
            (statement.importClause?.namedBindings !== undefined &&
              ts.isNamedImports(statement.importClause.namedBindings) &&
              statement.importClause.name === undefined &&
              statement.importClause.namedBindings.elements.every((e) => e.isTypeOnly))
          : statement.isTypeOnly
        const local = /^\.\.?\/(flags|program|commands\/[\w-]+)\.ts$/.test(spec.text)
        if (!typeOnly && !local && !allowed.has(spec.text))
          problems.push(`${file} imports ${spec.text} (load it in the action instead)`)
      }
    }
    expect(problems).toEqual([])
  })
})
