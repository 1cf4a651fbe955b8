export * from './http.ts'
export * from './server.ts'
