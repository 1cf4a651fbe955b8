export * from './breakage/index.ts'
export * from './escheatment.ts'
export * from './fraud/index.ts'
export * from './segments.ts'
