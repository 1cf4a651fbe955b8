/** The parts of NLP.js the planner uses (the packages ship no types). */
declare module '@nlpjs/neural' {
  export class NeuralNetwork {
    constructor(settings?: { log?: boolean; iterations?: number; errorThresh?: number })
    train(corpus: { input: Record<string, number>; output: Record<string, number> }[]): {
      error: number
      iterations: number
    }
    run(input: Record<string, number>): Record<string, number> | undefined
    toJSON(): unknown
    fromJSON(json: unknown): void
  }
}

declare module '@nlpjs/lang-en-min' {
  export class StemmerEn {
    stemWord(word: string): string
  }
  export class NormalizerEn {
    normalize(text: string): string
  }
}
