export * from './breakage/index.ts'
export * from './fraud/index.ts'
