// Text lines the CLI prints for campaign views (the API and --json give the records as they are).
import type { CampaignServices } from './services.ts';
import type { LaunchRecord } from './launch-store.ts';
import type { StoredSummary } from './pacing-store.ts';

type Compliance = NonNullable<Awaited<ReturnType<CampaignServices['compliance']>>>;
type CampaignView = NonNullable<Awaited<ReturnType<CampaignServices['campaign']>>>;

const pct = (r: number) => `${(r * 100).toFixed(2)} %`;

export function formatLaunch(l: LaunchRecord): string {
  const cxone = l.cxoneStatus ? ` CXone ${l.cxoneStatus}` : '';
  const id = l.campaignId ? ` campaign ${l.campaignId}` : '';
  const err = l.error ? `: ${l.errorCode} ${l.error}` : '';
  return `launch ${l.launchId} "${l.name}": ${l.status}${id}${cxone}, ${l.polls} polls${l.rateLimited ? `, ${l.rateLimited} x 429` : ''}${err}`;
}

export function formatCampaign(c: CampaignView): string[] {
  const lines = [`campaign ${c.campaignId}`];
  if (c.launch) lines.push(`  ${formatLaunch(c.launch)}`);
  if (c.pacing) lines.push(`  pacing: ${c.pacing.status}, policy ${c.pacing.policy}, ${c.pacing.cpm} calls/min`);
  lines.push(`  ${formatBreaker(c.breaker)}`);
  return lines;
}

export function formatBreaker(b: CampaignView['breaker']): string {
  return `dialer breaker: ${b.state}${b.state === 'open' ? ` (probe in ${Math.ceil(b.retryAfterMs / 1000)} s)` : ''}, ${b.failures} failure(s)`;
}

export function formatSummary(campaignId: string, s: StoredSummary): string {
  return `campaign ${campaignId}: ${s.totalCalls} calls, ${s.answered} answered, ${s.abandoned} abandoned, connect rate ${pct(s.connectRate)}, avg talk ${s.avgTalkTime.toFixed(1)} s (as of ${new Date(s.asOf).toISOString()})`;
}

export function formatCompliance(c: Compliance): string[] {
  const w = (name: string, x: Compliance['windows']['h24']) => `  ${name}: ${pct(x.rate)} abandoned (${x.abandoned} of ${x.answered} live answers)`;
  const lines = [
    `campaign ${c.campaignId}: ${c.status}, policy ${c.policy}, ${c.callsPerMinute} calls/min; limit ${pct(c.limit)}, target ${pct(c.target)}, budget acts from ${c.minAnswered} answers`,
    w('24 h', c.windows.h24),
    w('30 d', c.windows.d30),
    `  budget left: ${c.budgetLeft} abandoned call(s) before the limit; ${c.samples} sample(s)${c.asOf ? `, as of ${new Date(c.asOf).toISOString()}` : ''}`,
    '  counts are CXone aggregates: they prove the rate per window, not which calls were abandoned or redialled (needs call-level data)',
  ];
  for (const d of c.decisions) lines.push(`  ${new Date(d.at).toISOString()} ${d.kind} ${d.from} -> ${d.to} (${d.reason})`);
  return lines;
}
