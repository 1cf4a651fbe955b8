import type { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { ChatOpenAI } from '@langchain/openai'
import type { Config } from '../core/index.ts'
import { OfflinePlanner, PLANNER_NAME } from './planner/offline-model.ts'

export type ModelChoice = {
  /** The model the agent asks first; undefined means the planner alone. */
  primary?: {
    model: BaseChatModel
    name: string
    endpoint: string
    /** Read the answer as a stream of chunks (the agent assembles them). */
    streaming: boolean
  }
  planner: OfflinePlanner
}

/**
 * ChatOpenAI when OPENAI_API_KEY is set (OPENAI_BASE_URL points it at Ollama, vLLM, LM Studio or
 * a gateway; OPENAI_MODEL picks the model), otherwise the offline planner. The planner is always
 * there as the fallback when the endpoint fails.
 */
export function chooseModel(config: Config, options: { streaming?: boolean } = {}): ModelChoice {
  const planner = new OfflinePlanner()
  const { apiKey, baseUrl, model } = config.openai
  if (!apiKey) return { planner }
  const chat = new ChatOpenAI({
    model,
    apiKey,
    temperature: 0,
    maxRetries: 1,
    timeout: 60_000,
    // Not `streaming: true`: ChatOpenAI then estimates token counts with an encoder it downloads,
    // which hangs offline. The agent streams with .stream() and assembles the chunks itself.
    ...(baseUrl ? { configuration: { baseURL: baseUrl } } : {}),
  })
  return {
    primary: {
      model: chat,
      name: model,
      endpoint: baseUrl ?? 'https://api.openai.com/v1',
      streaming: options.streaming ?? false,
    },
    planner,
  }
}

export { PLANNER_NAME }
