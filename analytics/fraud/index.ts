export * from './anomaly.ts'
export * from './engine.ts'
export * from './listener.ts'
export * from './scan.ts'
