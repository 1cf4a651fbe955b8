import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from '@langchain/core/language_models/chat_models'
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  isHumanMessage,
} from '@langchain/core/messages'
import type { ChatResult } from '@langchain/core/outputs'
import type { Runnable } from '@langchain/core/runnables'

/**
 * A chat model for tests that calls the tool it is told to, then says "done" — and records every
 * message it was shown, so tests can check what a model could see.
 */
export class ScriptedModel extends BaseChatModel<BaseChatModelCallOptions, AIMessageChunk> {
  next: { name: string; args: Record<string, unknown> } | undefined
  readonly seen: BaseMessage[][] = []
  offered: string[] = []
  #n = 0

  constructor() {
    super({})
  }

  override _llmType(): string {
    return 'scripted'
  }

  override bindTools(
    tools: BindToolsInput[],
  ): Runnable<BaseMessage[], AIMessageChunk, BaseChatModelCallOptions> {
    this.offered = tools.map((t) => (t as { function: { name: string } }).function.name)
    return this as unknown as Runnable<BaseMessage[], AIMessageChunk, BaseChatModelCallOptions>
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.seen.push(messages)
    const last = messages.at(-1)
    const message =
      last && isHumanMessage(last) && this.next
        ? new AIMessage({
            content: '',
            tool_calls: [
              {
                id: `call_${++this.#n}`,
                name: this.next.name,
                args: this.next.args,
                type: 'tool_call',
              },
            ],
          })
        : new AIMessage('done')
    return { generations: [{ text: String(message.content), message }] }
  }
}
