export * from './app.ts'
export * from './blocks.ts'
