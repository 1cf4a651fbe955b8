export * from './approval-app/index.ts'
export * from './http.ts'
export * from './server.ts'
