// Renderings of preview activations and DNC entries for the CLI (src/ builds, producers/ print).
import type { FieldIssue } from '../errors.ts';
import { maskPhone } from '../mask.ts';
import type { ActivationRecord, ExcludedContact } from './activation-state.ts';
import type { DncEntry } from './dnc-store.ts';

export function formatIssues(file: string, errors: readonly FieldIssue[]): string[] {
  return [`${file}: ${errors.length} error(s)`, ...errors.map((e) => `  ${e.path || '(root)'}: ${e.message}`)];
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

export function formatActivation(r: ActivationRecord): string[] {
  const c = r.counts;
  const lines = [
    `activation ${r.activationId}  campaign ${r.campaignId}  ${r.status}  (step ${r.step})`,
    `  contacts: ${c.fetched} fetched over ${r.contactPages} page(s); eligible ${c.eligible}, filtered ${c.filtered}, suppressed ${c.suppressed}, dnc ${c.dnc}, invalid phone ${c.invalid_phone}, deferred ${c.deferred}`,
    `  suppressions: ${r.suppressionsLoaded} over ${r.suppressionPages} page(s); active previews before: ${r.activeBefore ?? '-'}`,
  ];
  if (r.version !== undefined) lines.push(`  version ${r.version} (${r.cxoneStatus ?? '-'}), latency ${r.latencyMs ?? '-'} ms, 412 retries ${r.preconditionRetries}, confirmed ${iso(r.confirmedAt)}`);
  if (r.error) lines.push(`  ${r.errorCode ?? 'ERROR'}: ${r.error}`);
  return lines;
}

export function formatExcluded(x: ExcludedContact): string {
  return x.nextCallableAt === undefined ? `${x.id}\t${x.reason}` : `${x.id}\t${x.reason}\tnext callable ${iso(x.nextCallableAt)}`;
}

export function formatDnc(e: DncEntry, showPii: boolean): string {
  return `${showPii ? e.number : maskPhone(e.number)}\t${e.reason}\t${e.source}\t${iso(e.addedAt)}`;
}
