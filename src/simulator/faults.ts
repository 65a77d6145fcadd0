// Fault injection: one uniform draw decides drop / timeout / 5xx / none, so the rates are
// exclusive shares of traffic and add up to what the test configured.
import type { FaultConfig } from './config.ts';
import type { SimResponse } from './http-io.ts';

export const FaultKind = {
  None: 'none',
  Drop: 'drop',
  Timeout: 'timeout',
  Error: 'error',
  /** Handled in full, answered late (or never): the client times out on a done deed. */
  Late: 'late',
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export function pickFault(f: FaultConfig | null, r: number): FaultKind {
  if (!f) return FaultKind.None;
  let edge = f.dropRate ?? 0;
  if (r < edge) return FaultKind.Drop;
  edge += f.timeoutRate ?? 0;
  if (r < edge) return FaultKind.Timeout;
  edge += f.errorRate ?? 0;
  if (r < edge) return FaultKind.Error;
  edge += f.lateResponseRate ?? 0;
  if (r < edge) return FaultKind.Late;
  return FaultKind.None;
}

/** Base latency plus uniform jitter in [0, jitter). */
export function latencyFor(f: FaultConfig | null, r: number): number {
  if (!f) return 0;
  return (f.latencyMs ?? 0) + (f.latencyJitterMs ?? 0) * r;
}

/** Half 503 (overloaded) and half 502 (bad gateway): clients must treat both as transient. */
export function serverErrorResponse(r: number): SimResponse {
  return r < 0.5
    ? { status: 503, body: { error: 'service_unavailable', message: 'simulated outage' } }
    : { status: 502, body: { error: 'bad_gateway', message: 'simulated upstream failure' } };
}
