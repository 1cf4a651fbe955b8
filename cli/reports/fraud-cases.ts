import { z } from 'zod'
import { deliverPendingCases } from '../../tools/index.ts'
import { defineReport, rolesOf } from './define-report.ts'

/** `giftcards fraud deliver-cases`: post the confirmed cases whose earlier post failed. */
export const cliFraudDeliverCases = defineReport({
  name: 'cli_fraud_deliver_cases',
  title: 'Post pending fraud case files (giftcards fraud deliver-cases)',
  command: 'giftcards fraud deliver-cases',
  description:
    'Posts every confirmed alert whose case file has not reached CASE_WEBHOOK_URL yet, once each.',
  input: z.object({}),
  roles: rolesOf('update_fraud_alert'),
  records: true,
  // Case files name only the pilot's cards (tools/fraud-case.ts filters related cards).
  pilot: 'scoped',
  run: async (ctx) => ({ deliveries: await deliverPendingCases(ctx) }),
})
