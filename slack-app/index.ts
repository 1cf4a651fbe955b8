export * from './app.ts'
export * from './blocks.ts'
export * from './request-time.ts'
