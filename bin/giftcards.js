#!/usr/bin/env node
// The `giftcards` command. The project is TypeScript run directly through tsx (no build step),
// so `npx giftcards …` works right after `npm install`.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
