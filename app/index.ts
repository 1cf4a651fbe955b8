export * from './agent.ts'
export * from './demo-chain.ts'
export * from './server.ts'
export * from './services.ts'
