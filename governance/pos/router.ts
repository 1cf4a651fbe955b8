import type { Config } from '../../core/index.ts'
import {
  type Enforcement,
  type EnforcingConnector,
  LEDGER_ONLY,
  type PosConnector,
} from './connector.ts'
import { LightspeedConnector } from './lightspeed.ts'
import { ShopifyConnector } from './shopify.ts'
import { SquareConnector } from './square.ts'

/** Why a card's platform cannot hold it at the POS even when configured (docs/pos-sources.md). */
const NO_REVERSIBLE_HOLD: Record<string, string> = {
  clover:
    "Clover's gift card API can only lock an amount for a limited time, after which the lock lapses by itself, and only through a single-use token made from the card number and security code, which the ledger does not hold",
  'lightspeed-r':
    'Lightspeed R-Series changes a balance only through a sale; its API has no way to take a balance out and give it back',
  generic: 'the generic webhook source has no POS the ledger can call',
  import: 'an imported card has no POS the ledger can call',
  seed: 'a demo card has no POS',
}

/** The variables that turn a platform's holds on. */
const TO_CONFIGURE: Record<EnforcingConnector, string> = {
  square: 'SQUARE_ACCESS_TOKEN is not set',
  shopify: 'SHOPIFY_SHOP_DOMAIN and SHOPIFY_ADMIN_ACCESS_TOKEN are not set',
  lightspeed: 'LIGHTSPEED_ACCESS_TOKEN (and LIGHTSPEED_DOMAIN_PREFIX) are not set',
}

/** The platform of a ledger card, from its source and id (R-Series cards are `lightspeed-r:`). */
export function cardPlatform(card: { id: string; source: string }): string {
  if (card.source === 'lightspeed' && card.id.startsWith('lightspeed-r:')) return 'lightspeed-r'
  return card.source
}

/**
 * Which connector holds a card, chosen by the card's platform: each configured platform that can
 * take a balance and give it back has one; any other card is held in the ledger only, with the
 * reason. A release goes to the connector its hold was placed with (`connector(name)`), whatever
 * the configuration says by then.
 */
export class PosRouter {
  constructor(
    private readonly connectors: Readonly<Partial<Record<EnforcingConnector, PosConnector>>>,
  ) {}

  /** What a hold on this card will do at the POS, before anything is called. */
  enforcement(card: { id: string; source: string }): Enforcement {
    const platform = cardPlatform(card)
    const connector = this.connectors[platform as EnforcingConnector]
    if (connector) return { enforced: true, connector: connector.name, how: connector.how }
    const why =
      NO_REVERSIBLE_HOLD[platform] ??
      (platform in TO_CONFIGURE
        ? `${TO_CONFIGURE[platform as EnforcingConnector]}, so the ledger cannot reach ${platform}`
        : `no POS connector exists for source ${platform}`)
    return { enforced: false, connector: LEDGER_ONLY, why }
  }

  /** The connector a hold was placed with, if it is configured now. */
  connector(name: string): PosConnector | undefined {
    return this.connectors[name as EnforcingConnector]
  }
}

/** No platform configured: every hold is ledger only. */
export const ledgerOnlyRouter = new PosRouter({})

/** The connectors the configuration enables (docs/configuration.md). */
export function createPosRouter(config: Config): PosRouter {
  const connectors: Partial<Record<EnforcingConnector, PosConnector>> = {}
  const { square, shopify, lightspeed } = config
  if (square.accessToken)
    connectors.square = new SquareConnector({
      baseUrl: square.baseUrl,
      accessToken: square.accessToken,
      apiVersion: square.apiVersion,
    })
  if (shopify.admin)
    connectors.shopify = new ShopifyConnector({
      shopUrl: shopify.admin.baseUrl,
      accessToken: shopify.admin.accessToken,
      apiVersion: shopify.admin.apiVersion,
    })
  if (lightspeed.accessToken && lightspeed.baseUrl)
    connectors.lightspeed = new LightspeedConnector({
      baseUrl: lightspeed.baseUrl,
      accessToken: lightspeed.accessToken,
    })
  return new PosRouter(connectors)
}
