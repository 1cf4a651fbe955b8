export * from './fraud/index.ts'
