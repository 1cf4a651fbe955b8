/** The loopback Slack Web API lives with the evals, which drive the Slack face with it too. */
export * from '../../evals/slack-loopback.ts'
