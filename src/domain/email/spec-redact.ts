// The secret-free form of a spec: what the fleet stores in Redis, puts in job data and
// logs. The password becomes a reference to where it came from; the private key becomes
// the fingerprint of its public half, so a key rotation is still visible (and changes the
// fingerprint) without the key ever leaving the process.
//
// The fingerprint deliberately does not cover the SMTP password's value: a hash of a
// low-entropy password stored in Redis would be an offline-guessing oracle. A password
// rotation under the same passwordEnv therefore needs a forced re-provision.
import { createHash } from 'node:crypto';
import type { PasswordRef, PrivateKeyRef, ResolvedSpec, ResolvedRule, SmtpTlsMode } from './spec-schema.ts';

export interface RedactedSpec {
  name: string;
  from: string;
  replyTo: string;
  enabled: boolean;
  smtp: {
    host: string;
    port: number;
    username: string;
    tls: SmtpTlsMode;
    /** Always undefined: kept as a key so it is obvious the value was removed. */
    password: undefined;
    passwordRef: PasswordRef;
  };
  dkim: {
    selector: string;
    domain: string;
    /** Always undefined. */
    privateKey: undefined;
    privateKeyRef: PrivateKeyRef;
    publicKeyFingerprint: string | null;
  };
  rules: ResolvedRule[];
  /** Without the absolute path, which differs from machine to machine. */
  templates: Array<{ name: string; file: string; sha256: string }>;
}

export function redactSpec(spec: ResolvedSpec): RedactedSpec {
  // Built field by field (no spreads of the secret-bearing objects), so a field added to
  // ResolvedSpec later cannot leak through here by accident.
  return {
    name: spec.name,
    from: spec.from,
    replyTo: spec.replyTo,
    enabled: spec.enabled,
    smtp: {
      host: spec.smtp.host,
      port: spec.smtp.port,
      username: spec.smtp.username,
      tls: spec.smtp.tls,
      password: undefined,
      passwordRef: { ...spec.smtp.passwordRef },
    },
    dkim: {
      selector: spec.dkim.selector,
      domain: spec.dkim.domain,
      privateKey: undefined,
      privateKeyRef: { ...spec.dkim.privateKeyRef },
      publicKeyFingerprint: spec.dkim.publicKeyFingerprint,
    },
    rules: spec.rules.map((r) => ({
      name: r.name,
      senderDomain: r.senderDomain,
      operator: r.operator,
      priority: r.priority,
      targetQueue: r.targetQueue,
      enabled: r.enabled,
    })),
    templates: spec.templates.map((t) => ({ name: t.name, file: t.file, sha256: t.sha256 })),
  };
}

/** JSON with object keys sorted at every level and undefined members dropped. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 hex over the canonical redacted spec: the idempotency key for provisioning.
 * Independent of key order in the source file; rules are ordered by priority (then name)
 * and templates by name, since their order in the file has no meaning.
 */
export function specFingerprint(spec: ResolvedSpec): string {
  const redacted = redactSpec(spec);
  const canonical = {
    ...redacted,
    rules: [...redacted.rules].sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    templates: [...redacted.templates].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  return createHash('sha256').update(canonicalJson(canonical)).digest('hex');
}
