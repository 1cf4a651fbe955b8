import { GiftCardError, majorToCents } from '../../core/index.ts'

/**
 * The POS side of a card hold (docs/approvals.md "Holds at the POS"). A platform that can take a
 * card's balance and give it back has a `PosConnector`; the hold takes the POS balance out and
 * its release gives exactly that amount back, each call keyed by the approval id so a retried
 * execution never moves money twice. A platform that cannot has none: its holds are recorded in
 * the ledger only, and the approval says so before a manager decides (`Enforcement`).
 */

/** The card facts a connector needs. `balanceCents` is the ledger's figure, not the POS's. */
export type PosCard = {
  id: string
  source: string
  balanceCents: number
  currency: string
  locationId: string | null
}

/** What a connector did at the POS: its own id for the move, and the amount it moved. */
export type PosMove = { reference: string; amountCents: number }

/** The platforms whose holds take effect at the POS. */
export const ENFORCING_CONNECTORS = ['square', 'shopify', 'lightspeed'] as const
export type EnforcingConnector = (typeof ENFORCING_CONNECTORS)[number]

/** The connector name of a hold recorded in the ledger only. */
export const LEDGER_ONLY = 'ledger-only'

export interface PosConnector {
  readonly name: EnforcingConnector
  /** One sentence for the approval card: how a hold takes effect at this POS. */
  readonly how: string
  /** The card's balance at the POS now, in cents: what a hold takes. */
  readBalance(card: PosCard): Promise<number>
  /**
   * Takes `amountCents` off the card. Called again with the same key (a retry, a recovery) it
   * moves nothing more and answers the first move.
   */
  take(card: PosCard, amountCents: number, key: string): Promise<PosMove>
  /** Gives `amountCents` back to the card, keyed like `take`. */
  give(card: PosCard, amountCents: number, key: string): Promise<PosMove>
}

/** Whether a hold on a card will take effect at the POS, and how; said before it is approved. */
export type Enforcement =
  | { enforced: true; connector: EnforcingConnector; how: string }
  | { enforced: false; connector: typeof LEDGER_ONLY; why: string }

/** What every ledger-only hold means at the till. */
export const LEDGER_ONLY_EFFECT =
  'the card still works at the till; a redemption will raise an alert'

/** What releasing a ledger-only hold does at the POS. */
export const LEDGER_ONLY_RELEASE_EFFECT =
  'nothing was taken out at the POS, so nothing is given back'

/**
 * The one line an approval request, its card and its reply show about enforcement. A release of
 * a ledger-only hold says nothing moves at the POS; of an enforced one, what is given back.
 */
export function describeEnforcement(e: Enforcement, kind: 'hold' | 'release' = 'hold'): string {
  if (e.enforced) return `enforced at the POS (${e.connector}): ${e.how}`
  return `ledger only: ${kind === 'hold' ? LEDGER_ONLY_EFFECT : LEDGER_ONLY_RELEASE_EFFECT} (${e.why})`
}

/**
 * What a placed hold is doing at the POS, for a list of holds (the dashboard's card page, the
 * hold list): where it was enforced and what a release gives back, or that it is ledger only.
 */
export function describeHeldAt(connector: string, status: 'active' | 'released'): string {
  if (connector === LEDGER_ONLY)
    return status === 'active'
      ? `ledger only: ${LEDGER_ONLY_EFFECT}`
      : 'ledger only: nothing was taken out at the POS'
  return status === 'active'
    ? `enforced at the POS (${connector}): the balance was taken out there and is given back on release`
    : `enforced at the POS (${connector}): the amount taken out was given back on release`
}

/** The POS answered and said no: nothing moved. The approval fails with the POS's reason. */
export class PosRefused extends GiftCardError {
  constructor(message: string) {
    super('CONFLICT', message)
  }
}

/**
 * The POS did not answer (timeout, connection refused, 5xx, 429): the move may or may not have
 * happened. A connector checks the POS for the key before trying again.
 */
export class PosUnanswered extends GiftCardError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, cause === undefined ? {} : { cause })
  }
}

/**
 * A fetch to a POS with a deadline. A network failure, a timeout, a 5xx or a 429 is
 * `PosUnanswered`; any other answer is returned with its parsed JSON (null when not JSON).
 */
export async function posRequest(
  platform: string,
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<{ status: number; json: unknown }> {
  let response: Response
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  } catch (cause) {
    const what =
      (cause as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : (cause as Error).message
    throw new PosUnanswered(`${platform} could not be reached: ${what}`, cause)
  }
  const text = await response.text().catch(() => '')
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (response.status >= 500 || response.status === 429)
    throw new PosUnanswered(`${platform} answered HTTP ${response.status}`)
  return { status: response.status, json }
}

/**
 * One keyed move, made at most once: `find` looks the key up at the POS first (a previous
 * attempt may have landed), then `make` moves the money. When `make` gets no answer the key is
 * looked up again before one more try; a second silence fails the call, naming the key.
 */
export async function moveOnce(
  key: string,
  find: () => Promise<PosMove | null>,
  make: () => Promise<PosMove>,
): Promise<PosMove> {
  const earlier = await find()
  if (earlier) return earlier
  try {
    return await make()
  } catch (err) {
    if (!(err instanceof PosUnanswered)) throw err
    const landed = await find()
    if (landed) return landed
    try {
      return await make()
    } catch (again) {
      if (!(again instanceof PosUnanswered)) throw again
      throw new PosUnanswered(
        `${again.message}; asked twice with idempotency key ${key}, and it shows no move under that key`,
        again,
      )
    }
  }
}

/**
 * A POS amount in major units (a number, or a decimal string such as Lightspeed's "20.0000") as
 * integer cents; zeros past the cents are dropped, a fraction of a cent is refused.
 */
export function posAmountToCents(platform: string, value: number | string): number {
  const text = typeof value === 'number' ? String(value) : value.trim()
  const trimmed = text.includes('.') ? text.replace(/(\.\d{2})0+$/, '$1') : text
  try {
    return majorToCents(trimmed)
  } catch {
    throw new PosRefused(`${platform} gave the amount ${JSON.stringify(value)}, not one in cents`)
  }
}
