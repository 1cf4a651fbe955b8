import { describe, expect, it } from 'vitest'
import { TOOLS, toolByName } from '../../tools/index.ts'

/** What the model must read in a tool's description to use it as meant. */
const KEY_PHRASES: Record<string, RegExp[]> = {
  list_card_holds: [/is there a hold on/, /never files/, /verbatim/, /activeHolds/],
  list_campaigns: [/pending_approval/, /audienceCriteria/],
  place_card_hold: [/imperative/, /list_card_holds/, /verbatim/, /no reason given/],
  release_card_hold: [/verbatim/, /omit it when they gave none/],
  update_fraud_alert: [/verbatim/],
  forecast_breakage: [/nothing is stored unless save is true/, /periodFrom/, /groupBy/],
  recommend_upsell: [/nothing is stored unless save is true/, /\/pos\/checkout/],
  get_liability: [/jurisdictions/, /ledgerUpTo/, /top/, /freshness/],
  list_fraud_alerts: [/countBy/, /since/, /store: \{ id, name, city, jurisdiction \}/],
  find_dormant_cards: [/idleSince/, /sort/, /ledgerUpTo/],
  draft_campaign: [/those cards/, /exactly these criteria/, /Nothing is sent/],
  search_gift_cards: [/sort/, /store: \{ id, name, city, jurisdiction \}/],
  reconcile_ledger: [/drift/, /balance-read adjustments/, /giftcards reconcile FILE/, /stale/],
  ledger_metrics: [/ledgerUpTo/, /freshness/],
  prepare_journal_entries: [
    /ASC 606-10-55-48/,
    /ASC 606-10-55-49/,
    /nothing is posted/,
    /post_journal_entries/,
  ],
  post_journal_entries: [/approval request/, /manager other than the requester/, /posted once/],
}

describe('tool descriptions', () => {
  for (const [name, phrases] of Object.entries(KEY_PHRASES))
    it(`${name} tells the model what it needs`, () => {
      const tool = toolByName(name)
      expect(tool, name).toBeDefined()
      for (const phrase of phrases) expect(tool?.description).toMatch(phrase)
    })

  it('describes every argument of every tool, and bounds every string', () => {
    for (const tool of TOOLS) {
      const schema = tool.input.toJSONSchema() as {
        properties: Record<
          string,
          {
            description?: string
            type?: string
            maxLength?: number
            pattern?: string
            enum?: unknown
          }
        >
      }
      for (const [field, property] of Object.entries(schema.properties)) {
        expect(property.description, `${tool.name}.${field}`).toBeTruthy()
        // A string is bounded by a length, an anchored pattern (YYYY-MM-DD, US-XX) or a list.
        if (property.type === 'string' && !property.enum)
          expect(
            property.maxLength !== undefined || /^\^.*\$$/.test(property.pattern ?? ''),
            `${tool.name}.${field} is unbounded`,
          ).toBe(true)
      }
    }
  })

  it('marks the reads that keep a record', () => {
    expect(toolByName('forecast_breakage')?.records).toBe('on_request')
    expect(toolByName('list_card_holds')?.records).toBeUndefined()
    expect(toolByName('list_campaigns')?.records).toBeUndefined()
  })
})
