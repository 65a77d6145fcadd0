// The webhook signature both sides agree on: HMAC-SHA256 over `${timestamp}.${rawBody}`
// with a shared secret, sent as `x-cxone-signature: v1=<hex>` beside
// `x-cxone-timestamp: <unix seconds>`. Several secrets may be active during a rotation.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-cxone-signature';
export const TIMESTAMP_HEADER = 'x-cxone-timestamp';

/** The raw HMAC: the verifier compares these bytes; the header carries them as hex. */
function signatureBytes(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

export function computeSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return signatureBytes(secret, timestamp, rawBody).toString('hex');
}

export function signWebhook(secret: string, rawBody: Buffer | string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${computeSignature(secret, timestamp, rawBody)}` };
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifySignature(opts: {
  secrets: readonly string[];
  timestampHeader: string | undefined;
  signatureHeader: string | undefined;
  rawBody: Buffer;
  toleranceS: number;
  nowMs?: number;
}): SignatureVerdict {
  const { timestampHeader: ts, signatureHeader: sig } = opts;
  if (!ts || !sig) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'malformed' };
  const candidates = sig
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.startsWith('v1='))
    .map((p) => p.slice(3));
  if (candidates.length === 0 || candidates.some((c) => !/^[0-9a-f]{64}$/i.test(c))) {
    return { ok: false, reason: 'malformed' };
  }
  const nowS = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(nowS - Number(ts)) > opts.toleranceS) return { ok: false, reason: 'stale' };
  // Compared as bytes (each candidate decoded once), never as strings, and in constant time.
  const given = candidates.map((c) => Buffer.from(c, 'hex'));
  for (const secret of opts.secrets) {
    const expected = signatureBytes(secret, ts, opts.rawBody);
    if (given.some((g) => timingSafeEqual(expected, g))) return { ok: true };
  }
  return { ok: false, reason: 'mismatch' };
}
