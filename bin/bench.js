#!/usr/bin/env node
// `npm run bench -- NAME [options]`: runs bench/NAME.ts through tsx.
import { register } from 'tsx/esm/api'

register()
await import('../bench/main.ts')
