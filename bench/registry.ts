import { importBench } from './import.ts'
import { seedBench } from './seed.ts'

/** Every benchmark by name. */
export const benchmarks: Record<string, (args: string[]) => Promise<void>> = {
  seed: seedBench,
  import: importBench,
}
