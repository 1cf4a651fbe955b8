/**
 * What a tool call looks like to the person waiting (the streamed task list and the thread
 * status): a short phrase per tool, with numbers from its arguments only, never free text from
 * them (a card id typed by someone is data, and this text is shown unescaped by Slack's task
 * cards and status line).
 */
export function progressLabel(tool: string, args: Record<string, unknown>): string {
  const days = typeof args.days === 'number' ? Number(args.days) : undefined
  const window = days ? `scanning ${days} days` : undefined
  switch (tool) {
    case 'get_gift_card':
    case 'search_gift_cards':
      return 'looking up card…'
    case 'get_liability':
      return 'adding up liability…'
    case 'forecast_breakage':
      return 'forecasting breakage…'
    case 'list_fraud_alerts':
      return `${window ?? 'reading fraud alerts'}…`
    case 'scan_for_fraud':
      return `${window ?? 'scanning the ledger'}…`
    case 'explain_fraud_alert':
    case 'get_fraud_case':
      return 'reading the alert evidence…'
    case 'place_card_hold':
    case 'release_card_hold':
    case 'launch_campaign':
      return 'filing an approval request…'
    case 'list_approvals':
      return 'reading approvals…'
    case 'list_card_holds':
      return 'reading holds…'
    case 'ledger_metrics':
      return `${window ?? 'reading the ledger'}…`
    default:
      return `${tool.replaceAll('_', ' ').slice(0, 60)}…`
  }
}
