export * from './fixture.ts'
export * from './report.ts'
export * from './runner.ts'
export * from './scenario.ts'
