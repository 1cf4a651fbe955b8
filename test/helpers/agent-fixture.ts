/** The agent tests' chain is the evals' chain: one builder, in evals/fixture.ts. */
export * from '../../evals/fixture.ts'
