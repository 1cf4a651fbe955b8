import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'

const user = (text: string) => ({
  messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }],
})

/** The common analyses, as prompts an analyst picks in Claude Desktop. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'fraud_triage',
    {
      title: 'Triage fraud alerts',
      description: 'Review open fraud alerts, explain the worst, and propose holds',
      argsSchema: {
        days: z.string().regex(/^\d+$/).optional().describe('look back this many days (default 7)'),
      },
    },
    ({ days }) =>
      user(
        `Triage our gift card fraud alerts from the last ${days ?? '7'} days. Call list_fraud_alerts (status open, days ${days ?? '7'}), then explain_fraud_alert for the three highest scores. For each, say whether it looks like real fraud and why, citing the triggering transactions. Where a hold is warranted, call place_card_hold with the reason; it only files an approval request. Never reveal customer identities.`,
      ),
  )
  server.registerPrompt(
    'monthly_liability_review',
    {
      title: 'Monthly liability review',
      description: 'Outstanding liability by state and store, with escheatment exposure',
      argsSchema: {
        as_of: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/)
          .optional()
          .describe('end of the month reviewed, YYYY-MM-DD'),
      },
    },
    ({ as_of }) =>
      user(
        `Prepare the monthly gift card liability review${as_of ? ` as of ${as_of}` : ''}. Call get_liability grouped by jurisdiction and by location${as_of ? ` with asOf ${as_of}` : ''}, and escheatment_report for the next 6 months. Summarise the total, the five largest states and stores, changes worth a note, and any jurisdiction with reportable balances.`,
      ),
  )
  server.registerPrompt(
    'breakage_forecast_report',
    {
      title: 'Breakage forecast report',
      description: 'Breakage and ASC 606 recognition for finance',
      argsSchema: {
        horizon_months: z
          .string()
          .regex(/^\d+$/)
          .optional()
          .describe('months to forecast (default 12)'),
      },
    },
    ({ horizon_months }) =>
      user(
        `Write the breakage forecast report for finance. Call forecast_breakage with horizonMonths ${horizon_months ?? '12'}. Report expected redemptions per month with the 80% interval, the expected breakage rate and amount, the ASC 606 proportional recognition schedule, the model version and data watermark, and the cards most likely never to be redeemed.`,
      ),
  )
  server.registerPrompt(
    'dormant_card_campaign',
    {
      title: 'Dormant card campaign',
      description: 'Find dormant balances and draft a reactivation campaign',
      argsSchema: {
        min_days: z
          .string()
          .regex(/^\d+$/)
          .optional()
          .describe('days without activity (default 90)'),
        min_balance_dollars: z
          .string()
          .regex(/^\d+$/)
          .optional()
          .describe('smallest balance in dollars (default 5)'),
      },
    },
    ({ min_days, min_balance_dollars }) =>
      user(
        `Plan a reactivation campaign for dormant gift cards. Call find_dormant_cards with minDays ${min_days ?? '90'} and minBalanceCents ${Number(min_balance_dollars ?? '5') * 100}, then segment_purchasers by behaviour. Draft a campaign with draft_campaign for that audience, with a short message that does not name anyone. Report its size, liability and predicted uptake. Launching it needs launch_campaign and a manager's approval.`,
      ),
  )
}
