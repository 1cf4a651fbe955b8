/**
 * What the command definitions (cli/commands/) share with the actions they load (cli/actions/).
 * Kept free of imports: `giftcards --help` reads every definition, and a definition must not
 * pull in what its command runs on (docs/architecture.md §1.12).
 */

/** The options commander parsed, as an action receives them; each action checks them with zod. */
export type Flags = Record<string, unknown>

/** `--chart FILE.png` as commander reads it (cli/chart-file.ts checks and writes the file). */
export const CHART_OPTION = [
  '--chart <file.png>',
  'also write the chart as a PNG to this file',
] as const
