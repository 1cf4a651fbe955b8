import { main } from './program.ts'

// `giftcards … | head` closes stdout early: that ends the command quietly, not with a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

process.exitCode = await main()
