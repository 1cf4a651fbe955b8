import cliProgress from 'cli-progress'

/**
 * A progress bar on stderr (stdout stays clean for `--json` and protocols). Hidden when
 * stderr is not a terminal, where it would only fill logs.
 */
export function progressBar(label: string, total: number) {
  if (!process.stderr.isTTY) {
    return { update: (_value: number) => {}, stop: () => {} }
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} elapsed, ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  return {
    update: (value: number) => bar.update(value),
    stop: () => bar.stop(),
  }
}
