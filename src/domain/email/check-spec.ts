// Semantic checks on a resolved channel spec, run before anything is sent to CXone. The
// schema (spec-schema.ts) says each field is well-formed; this says the fields make sense
// together. Each class of mistake has its own message, because the alternative is a
// channel stuck in PENDING with no reason given.
//
// Decisions:
// - DMARC alignment is judged in relaxed mode: the From domain may equal the DKIM d=
//   domain or be its subdomain (or its parent). Anything but equality gets a warning,
//   because a domain publishing `adkim=s` (strict) would fail. Without the Public Suffix
//   List this cannot tell organisational domains apart, which is fine for the
//   parent/child relationships accepted here.
// - Port and TLS mode must agree: 465 is implicit TLS; 587 and 25 are STARTTLS; 'none'
//   is only tolerated on 25 (relay inside a trusted network), with a warning. Other ports
//   are not refused, since relays listen where they like, but get a warning.
import { createHash } from 'node:crypto';
import { compileMjml } from './mjml.ts';
import type { MjmlIssue } from './mjml.ts';
import { dkimNameProblem, inspectDkimKey } from './dkim.ts';
import type { FieldIssue } from '../../errors.ts';
import type { ResolvedSpec } from './spec-schema.ts';

export interface CheckSpecDeps {
  readFile: (path: string) => string | Promise<string>;
}

export interface CheckSpecResult {
  errors: FieldIssue[];
  warnings: string[];
  /** The DKIM TXT record to publish; present when the key is usable. */
  dns?: { name: string; value: string };
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** local@domain with a real DNS domain; display names ("Name <a@b>") are not accepted. */
export function parseAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at > 64 || address.length > 254 || /[\s<>]/.test(address)) return null;
  const domain = address.slice(at + 1).toLowerCase();
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return null;
  return { local: address.slice(0, at), domain };
}

function checkAlignment(fromDomain: string, dkimDomain: string, errors: FieldIssue[], warnings: string[]): void {
  if (fromDomain === dkimDomain) return;
  if (fromDomain.endsWith(`.${dkimDomain}`) || dkimDomain.endsWith(`.${fromDomain}`)) {
    warnings.push(`From domain ${fromDomain} and DKIM domain ${dkimDomain} align only under relaxed DMARC alignment; a DMARC policy with adkim=s will fail`);
    return;
  }
  errors.push({
    path: 'dkim.domain',
    message: `DKIM domain ${dkimDomain} does not align with the From domain ${fromDomain}: DMARC will fail; sign with d=${fromDomain} (or a parent domain of it)`,
  });
}

function checkPortTls(spec: ResolvedSpec, errors: FieldIssue[], warnings: string[]): void {
  const { port, tls } = spec.smtp;
  const err = (message: string): void => {
    errors.push({ path: 'smtp.tls', message });
  };
  if (tls === 'none' && port !== 25) return err(`tls 'none' is only allowed on port 25, not ${port}: credentials would cross the network in clear`);
  switch (port) {
    case 465:
      if (tls !== 'implicit') err(`port 465 is SMTPS (implicit TLS): set tls: implicit, or use port 587 for STARTTLS`);
      return;
    case 587:
      if (tls !== 'starttls') err(`port 587 is submission with STARTTLS: set tls: starttls, or use port 465 for implicit TLS`);
      return;
    case 25:
      if (tls === 'implicit') err(`port 25 uses STARTTLS, not implicit TLS: set tls: starttls, or use port 465`);
      else if (tls === 'none') warnings.push('smtp.tls is none on port 25: mail and credentials travel unencrypted; use starttls unless the relay is on a trusted network');
      return;
    default:
      warnings.push(`smtp.port ${port} is not a standard SMTP port (25, 465, 587): make sure the relay expects ${tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'} there`);
  }
}

function checkRules(spec: ResolvedSpec, errors: FieldIssue[], warnings: string[]): void {
  const byPriority = new Map<number, number>();
  const byName = new Map<string, number>();
  spec.rules.forEach((rule, i) => {
    const samePriority = byPriority.get(rule.priority);
    if (samePriority === undefined) byPriority.set(rule.priority, i);
    else errors.push({ path: `rules.${i}.priority`, message: `priority ${rule.priority} is already used by rules.${samePriority}; rule priorities must be unique` });
    const sameName = byName.get(rule.name);
    if (sameName === undefined) byName.set(rule.name, i);
    else errors.push({ path: `rules.${i}.name`, message: `rule name "${rule.name}" is already used by rules.${sameName}` });
    if (rule.operator === 'equals' && !rule.senderDomain.includes('.')) {
      warnings.push(`rules.${i}.senderDomain "${rule.senderDomain}" has no dot, so an 'equals' rule will never match a sender domain`);
    }
  });
}

/** "line L: <tag>: message", leaving out what MJML could not locate. */
function formatMjmlIssue(issue: MjmlIssue): string {
  const where = issue.line === null ? '' : `line ${issue.line}: `;
  const tag = issue.tag === null ? '' : `<${issue.tag}>: `;
  return `${where}${tag}${issue.message}`;
}

async function checkTemplates(spec: ResolvedSpec, deps: CheckSpecDeps, errors: FieldIssue[], warnings: string[]): Promise<void> {
  const names = new Map<string, number>();
  for (const [i, template] of spec.templates.entries()) {
    const path = `templates.${i}.file`;
    const same = names.get(template.name);
    if (same === undefined) names.set(template.name, i);
    else errors.push({ path: `templates.${i}.name`, message: `template name "${template.name}" is already used by templates.${same}` });
    let source: string;
    try {
      source = await deps.readFile(template.path);
    } catch (err) {
      errors.push({ path, message: `cannot read "${template.file}": ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    if (createHash('sha256').update(source).digest('hex') !== template.sha256) {
      warnings.push(`${path}: "${template.file}" changed since the spec was parsed; re-parse to update the fingerprint`);
    }
    // No filePath: readFile is injected, so the path need not exist on this disk.
    const compiled = await compileMjml(source);
    for (const e of compiled.errors) errors.push({ path, message: formatMjmlIssue(e) });
    for (const w of compiled.warnings) warnings.push(`${path}: ${formatMjmlIssue(w)}`);
  }
}

export async function checkChannelSpec(spec: ResolvedSpec, deps: CheckSpecDeps): Promise<CheckSpecResult> {
  const errors: FieldIssue[] = [];
  const warnings: string[] = [];

  const from = parseAddress(spec.from);
  if (!from) errors.push({ path: 'from', message: `"${spec.from}" is not a valid email address (local@domain)` });
  if (!parseAddress(spec.replyTo)) errors.push({ path: 'replyTo', message: `"${spec.replyTo}" is not a valid email address (local@domain)` });

  let dns: CheckSpecResult['dns'];
  const nameProblem = dkimNameProblem(spec.dkim.selector, spec.dkim.domain);
  if (nameProblem) {
    errors.push({ path: `dkim.${nameProblem.field}`, message: nameProblem.reason });
  } else {
    if (from) checkAlignment(from.domain, spec.dkim.domain.toLowerCase().replace(/\.$/, ''), errors, warnings);
    const keyPath = spec.dkim.privateKeyRef.source === 'file' ? 'dkim.privateKeyFile' : 'dkim.privateKey';
    const key = inspectDkimKey(spec.dkim.privateKey, spec.dkim.selector, spec.dkim.domain);
    if (key.ok) {
      warnings.push(...key.warnings.map((w) => `${keyPath}: ${w}`));
      dns = { name: key.dnsRecordName, value: key.dnsTxtValue };
    } else {
      errors.push({ path: keyPath, message: key.reason });
    }
  }

  checkPortTls(spec, errors, warnings);
  checkRules(spec, errors, warnings);
  await checkTemplates(spec, deps, errors, warnings);
  return dns === undefined ? { errors, warnings } : { errors, warnings, dns };
}
