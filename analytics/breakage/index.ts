export * from './forecast.ts'
export * from './ledger-pass.ts'
export * from './model.ts'
