import type { Command } from 'commander'
import type { CliContext } from '../context.ts'

export function registerServe(program: Command, ctx: () => CliContext): void {
  program
    .command('serve')
    .description('run the HTTP server: /healthz, the POS webhooks, /mcp and /slack/events')
    .option('--port <port>', 'port to listen on', '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (raw) => (await import('../actions/serve.ts')).runServe(ctx, raw))
}
