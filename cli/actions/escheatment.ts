import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import {
  type EscheatmentReport,
  escheatmentCsv,
  type NaupaFilesWritten,
  ownerAddressNote,
  unknownJurisdictionNote,
  writeNaupaFiles,
} from '../../analytics/index.ts'
import { formatCents, GiftCardError } from '../../core/index.ts'
import type { Database } from '../../db/index.ts'
import { appendAudit } from '../../governance/index.ts'
import { type CliContext, withDatabase } from '../context.ts'
import type { Flags } from '../flags.ts'
import { parseOptions } from '../options.ts'
import { cliEscheatment } from '../reports/index.ts'
import { actorFor, runReportOn, warnIfEmpty } from '../session.ts'

const outputOptions = z.object({
  csv: z.string().min(1).max(4096).optional(),
  naupa: z.string().min(1).max(4096).optional(),
})

/**
 * `--naupa DIR`: the NAUPA file of each state with cards reaching their deadline and the owner
 * due-diligence list (docs/escheatment.md). The cards come from the audited report; the owners'
 * names and postal codes from customer master data go into these files for finance only, never
 * to stdout or a model (docs/privacy.md). One audit row says what was written, without names.
 */
async function writeNaupa(
  context: CliContext,
  database: Database,
  report: EscheatmentReport,
  dir: string,
): Promise<NaupaFilesWritten> {
  const { holder, incorporationState } = context.config.escheatment
  if (!holder.taxId || !holder.name)
    throw new GiftCardError(
      'CONFIG_INVALID',
      'NAUPA_HOLDER_TAX_ID and NAUPA_HOLDER_NAME must be set for --naupa (a state refuses a report without the holder’s FEIN and name)',
    )
  const out = await writeNaupaFiles(
    database,
    report.cards,
    {
      taxId: holder.taxId,
      name: holder.name,
      state: holder.state ?? incorporationState,
      incorporationState,
      ...(holder.city ? { city: holder.city } : {}),
      ...(holder.contact ? { contact: holder.contact } : {}),
      ...(holder.contactPhone ? { contactPhone: holder.contactPhone } : {}),
      ...(holder.email ? { email: holder.email } : {}),
    },
    dir,
  )
  const { notices } = out
  const actor = await actorFor(context, database, undefined)
  await appendAudit(database, {
    actor: actor.id,
    role: actor.role,
    via: 'cli',
    action: 'naupa_export',
    tool: 'cli_escheatment',
    input: { asOf: report.asOf, horizonMonths: report.horizonMonths },
    resultSummary: `${out.files.map((f) => `${f.fileName}: ${f.properties} properties, ${formatCents(f.amountCents)}`).join('; ') || 'no file'}; due diligence: ${notices} notices required`,
  })
  return out
}

export async function runEscheatment(ctx: () => CliContext, raw: Flags): Promise<void> {
  const { csv, naupa } = parseOptions(outputOptions, raw)
  const input = parseOptions(cliEscheatment.input, raw)
  const context = ctx()
  const { report, naupaOut } = await withDatabase(context, async (database) => {
    await warnIfEmpty(database)
    const report = await runReportOn(context, database, cliEscheatment, input)
    const naupaOut = naupa ? await writeNaupa(context, database, report, naupa) : undefined
    return { report, naupaOut }
  })
  if (csv) await writeFile(csv, escheatmentCsv(report))
  if (raw.json) {
    console.log(
      JSON.stringify(
        naupaOut
          ? {
              ...report,
              naupa: {
                files: naupaOut.files,
                dueDiligence: naupaOut.dueDiligence,
                noticesRequired: naupaOut.notices,
              },
            }
          : report,
        null,
        2,
      ),
    )
    return
  }
  console.log(
    `Escheatment as of ${report.asOf.slice(0, 10)}, deadlines within ${report.horizonMonths} months (overdue included)`,
  )
  for (const j of report.jurisdictions) {
    console.log(
      `  ${j.jurisdiction.padEnd(8)} ${j.status.padEnd(10)} ${j.cards.toLocaleString('en-US').padStart(8)} cards ${formatCents(j.amountCents).padStart(14)}${j.overdueCards ? `  (${j.overdueCards} overdue)` : ''}  ${j.rule}`,
    )
  }
  if (report.jurisdictions.length === 0) console.log('  no card reaches a deadline')
  const notes = [
    unknownJurisdictionNote(report.unknownJurisdiction),
    ownerAddressNote(
      report.ownerAddressUnknown.cards,
      report.ownerAddressUnknown.amountCents,
      ctx().config.escheatment.incorporationState,
    ),
  ]
  for (const note of notes) if (note) console.log(`  ${note}`)
  if (csv) console.log(`${report.cards.length} cards written to ${csv}`)
  if (naupaOut) {
    for (const f of naupaOut.files)
      console.log(
        `NAUPA ${f.jurisdiction} ${f.reportYear}: ${f.properties} properties, ${formatCents(f.amountCents)} → ${join(naupa ?? '', f.fileName)}`,
      )
    console.log(
      `due diligence: ${naupaOut.notices} owner notices required → ${naupaOut.dueDiligence}`,
    )
  }
}
