export * from './chart.ts'
export * from './from-result.ts'
export * from './render.ts'
