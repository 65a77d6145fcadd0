// What `flow publish|status|revisions|diff|metrics` print, as plain lines (the CLI only
// writes them). A failed publish shows its code and message, then each of the server's errors.
import { formatChange } from '../domain/flows/diff.ts';
import type { FlowChange } from '../domain/flows/diff.ts';
import { formatProblem } from '../domain/flows/problems.ts';
import type { BuildMetrics } from './flow-metrics.ts';
import type { PublishRecord, PublishStepLine } from './publish-record.ts';
import type { FlowRevision } from './revisions.ts';
import type { FlowOverview, PublishAccepted } from './services.ts';

const short = (key: string) => key.slice(0, 12);

export function acceptedLines(a: PublishAccepted): string[] {
  return [
    `publish ${a.publishId} queued: "${a.name}" content ${short(a.flowKey)} (after revision ${a.baseRevision})`,
    ...a.warnings.map((p) => `${formatProblem(p)} (warning)`),
  ];
}

/** One step as `flow publish --wait` shows it. */
export function stepLine(l: PublishStepLine): string {
  return `  ${l.at.slice(11, 23)}  ${l.step.padEnd(9)} ${l.status}${l.detail ? `: ${l.detail}` : ''}`;
}

/** The verdict: the flow id and revision, "unchanged", or the failure with the server's errors. */
export function outcomeLines(r: PublishRecord): string[] {
  switch (r.status) {
    case 'completed':
      return [`published "${r.name}": flow ${r.cxoneFlowId ?? '?'} revision ${r.revision ?? '?'} (CXone job ${r.cxoneJobId ?? '?'})`, ...(r.warning ? [`warning: ${r.warning}`] : [])];
    case 'unchanged':
      return [`unchanged: "${r.name}" already is this content at revision ${r.revision ?? '?'} (flow ${r.cxoneFlowId ?? '?'}); use --force to publish it again`];
    case 'failed':
      return [`failed: ${r.errorCode ?? 'UNEXPECTED'} ${r.error ?? ''}`.trimEnd(), ...(r.serverErrors ?? []).map((e) => `  server error: ${e}`)];
    case 'queued':
    case 'running':
      return [`${r.status}: "${r.name}" at step ${r.step}${r.cxoneJobId ? ` (CXone job ${r.cxoneJobId}, ${r.polls} poll(s))` : ''}`];
  }
}

export function statusLines(r: PublishRecord & { steps: PublishStepLine[] }): string[] {
  const head = `publish ${r.publishId} of "${r.name}" content ${short(r.flowKey)}${r.message ? ` "${r.message}"` : ''}${r.force ? ' (forced)' : ''}, asked ${r.requestedAt}`;
  return [head, ...r.steps.map(stepLine), ...outcomeLines(r)];
}

export function revisionLines(revs: readonly FlowRevision[]): string[] {
  if (revs.length === 0) return ['no revisions'];
  return revs.map((r) => `r${r.revision}  ${r.publishedAt}  content ${short(r.flowKey)}  flow ${r.cxoneFlowId}  job ${r.cxoneJobId}${r.message ? `  "${r.message}"` : ''}`);
}

export function overviewLines(o: FlowOverview): string[] {
  const h = o.head;
  const events = o.events.map((e) => `  ${e.timestamp}  ${e.eventType}${e.version === undefined ? '' : ` v${e.version}`}${e.drift ? '  DRIFT (not caused by the fleet)' : ''}`);
  return [`"${h.name}": flow ${h.cxoneFlowId}, latest revision ${h.latestRevision} (${h.updatedAt})`, ...revisionLines(o.revisions), ...(events.length ? ['recent events:', ...events] : [])];
}

export function diffLines(changes: readonly FlowChange[]): string[] {
  return changes.length === 0 ? ['no differences'] : changes.map(formatChange);
}

export function metricsLines(m: BuildMetrics): string[] {
  const checked = m.successful_validations + m.failed_validations;
  const rate = checked === 0 ? 'n/a' : `${((m.successful_validations / checked) * 100).toFixed(1)}%`;
  const avg = m.total_builds === 0 ? 'n/a' : `${(m.total_latency_ms / m.total_builds).toFixed(3)} ms`;
  return [
    `total_builds            ${m.total_builds}`,
    `successful_validations  ${m.successful_validations}`,
    `failed_validations      ${m.failed_validations}`,
    `total_latency_ms        ${m.total_latency_ms.toFixed(3)}`,
    `validation success rate ${rate}; mean build latency ${avg}`,
  ];
}
