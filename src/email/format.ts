// Plain-text renderings for the email CLI (the CLI prints; src/ only builds strings).
import type { FieldIssue } from '../errors.ts';
import type { MjmlIssue } from '../domain/email/mjml.ts';
import type { ChannelStatus } from './services.ts';
import type { Suppression } from './suppression-store.ts';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
const pct = (r: number) => `${(r * 100).toFixed(2)}%`;

export function formatIssues(errors: FieldIssue[]): string[] {
  return errors.map((e) => `  ✗ ${e.path || '(root)'}: ${e.message}`);
}

export function formatMjmlIssue(file: string, i: MjmlIssue): string {
  return `${file}${i.line === null ? '' : `:${i.line}`}: ${i.tag === null ? '' : `<${i.tag}> `}${i.message}`;
}

export function formatStatus(st: ChannelStatus): string[] {
  const s = st.state;
  const ruleLines = Object.entries(s.rules).map(([name, id]) => `    ${name}: ${id}`);
  const lines = [
    `channel     ${s.name}`,
    `step        ${s.step}${s.lastError ? ` (${s.lastError})` : ''}`,
    `  created   ${s.channelId ? `${s.channelId}${s.channelCreated === false ? ' (existed)' : ''}` : 'no'}`,
    `  activation ${s.activation ?? '-'}${s.cxoneState ? ` (CXone ${s.cxoneState})` : ''}, ${s.polls} polls, deadline ${iso(s.deadline)}`,
    `  rules     ${Object.keys(s.rules).length}/${s.rulesTotal}`,
    ...ruleLines,
    `spec        ${s.specKey.slice(0, 16)}…  requested ${iso(s.requestedAt)}  updated ${iso(s.updatedAt)}`,
    `paused      ${st.paused ? `yes since ${iso(st.paused.pausedAt)}: ${st.paused.reason}` : 'no'}`,
  ];
  if (st.health) lines.push(...formatHealth(st).slice(1));
  return lines;
}

export function formatHealth(st: ChannelStatus): string[] {
  const h = st.health;
  if (!h) return [`channel     ${st.state.name}`, 'health      not checked yet'];
  return [
    `channel     ${st.state.name}`,
    `health      ${h.level} at ${iso(h.checkedAt)} (${h.pages} analytics pages)`,
    `  sent ${h.sent}  delivered ${h.delivered}  bounced ${h.bounced}  complaints ${h.complaints}`,
    `  bounce rate ${pct(h.bounceRate)}  complaint rate ${pct(h.complaintRate)}`,
    ...h.reasons.map((r) => `  ! ${r}`),
  ];
}

export function formatSuppression(s: Suppression): string {
  return `${s.address}\t${s.class}${s.rawType ? ` (${s.rawType})` : ''}\tuntil ${iso(s.expiresAt)}\t${s.reason}`;
}
