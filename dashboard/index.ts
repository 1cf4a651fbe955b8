export * from './auth.ts'
export * from './routes.ts'
