// Webhook authentication: the shared HMAC scheme of src/webhook-signature.ts, with every
// active secret tried (rotation without downtime) and the clock tolerance from config.
import type { IncomingMessage } from 'node:http';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../webhook-signature.ts';
import type { RejectionReason } from './rejections.ts';

export type SignatureCheck = { ok: true } | { ok: false; reason: RejectionReason };

const REASONS = {
  missing: 'missing_signature',
  malformed: 'malformed_signature',
  stale: 'stale_timestamp',
  mismatch: 'bad_signature',
} as const;

function single(header: string | string[] | undefined): string | undefined {
  // A repeated header is ambiguous: refuse it rather than guess which one was signed.
  return typeof header === 'string' ? header : undefined;
}

export function checkSignature(
  req: IncomingMessage,
  rawBody: Buffer,
  settings: { webhookSecrets: readonly string[]; webhookToleranceS: number },
  nowMs: number,
): SignatureCheck {
  const verdict = verifySignature({
    secrets: settings.webhookSecrets,
    timestampHeader: single(req.headers[TIMESTAMP_HEADER]),
    signatureHeader: single(req.headers[SIGNATURE_HEADER]),
    rawBody,
    toleranceS: settings.webhookToleranceS,
    nowMs,
  });
  return verdict.ok ? verdict : { ok: false, reason: REASONS[verdict.reason] };
}
