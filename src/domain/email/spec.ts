// Parsing and resolving a declarative email-channel spec (YAML or JSON): syntax, schema,
// then secrets (passwordEnv → env, privateKeyFile → file) and template files. Everything
// is injected (env, readFile), so this stays pure and testable; every error names its
// field path ("smtp.port", "rules.1.priority", "dkim.privateKeyFile").
//
// File references must be relative and stay inside baseDir: specs may arrive through the
// fleet's API, and a spec must not be able to make the fleet read (and ship to CXone, or
// render in a preview) an arbitrary file such as /etc/shadow or ../../.env. Symlinks are
// the job of the readFile the caller injects.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { zodIssuesToFields } from '../../errors.ts';
import type { FieldIssue } from '../../errors.ts';
import { normalizePem, pemFingerprint } from './dkim.ts';
import { channelSpecSchema } from './spec-schema.ts';
import type { ChannelSpecInput, PasswordRef, PrivateKeyRef, ResolvedSpec, ResolvedTemplate } from './spec-schema.ts';

export * from './spec-schema.ts';
export { redactSpec, specFingerprint } from './spec-redact.ts';
export type { RedactedSpec } from './spec-redact.ts';

export type SpecFormat = 'yaml' | 'json' | 'auto';

export interface ParseSpecOptions {
  /** Directory that privateKeyFile and template paths are relative to. */
  baseDir: string;
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
}

export type ParseSpecResult =
  | { ok: true; spec: ResolvedSpec; warnings: string[] }
  | { ok: false; errors: FieldIssue[] };

const fail = (errors: FieldIssue[]): ParseSpecResult => ({ ok: false, errors });
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text → plain data, or the syntax errors. YAML duplicate keys are errors, not last-wins. */
export function parseText(text: string, format: SpecFormat): { ok: true; data: unknown; warnings: string[] } | { ok: false; errors: FieldIssue[] } {
  const effective = format === 'auto' ? (/^\s*[{[]/.test(text) ? 'json' : 'yaml') : format;
  if (effective === 'json') {
    try {
      return { ok: true, data: JSON.parse(text) as unknown, warnings: [] };
    } catch (err) {
      return { ok: false, errors: [{ path: '', message: `invalid JSON: ${message(err)}` }] };
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ path: '', message: `invalid YAML: ${e.message}` })) };
  }
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    return { ok: true, data: doc.toJS({ maxAliasCount: 100 }) as unknown, warnings: doc.warnings.map((w) => `YAML: ${w.message}`) };
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `invalid YAML: ${message(err)}` }] };
  }
}

/** "Exactly one of a / b" on the raw object, so it is reported together with schema errors. */
function exactlyOne(raw: unknown, section: 'smtp' | 'dkim', a: string, b: string): FieldIssue[] {
  if (!isRecord(raw) || !isRecord(raw[section])) return [];
  const obj = raw[section];
  const hasA = obj[a] !== undefined;
  const hasB = obj[b] !== undefined;
  if (hasA && hasB) return [{ path: `${section}.${b}`, message: `set either ${section}.${a} or ${section}.${b}, not both` }];
  if (!hasA && !hasB) return [{ path: `${section}.${a}`, message: `one of ${section}.${a} or ${section}.${b} is required` }];
  return [];
}

/** zod's "unrecognized_keys" names the parent; point at each unknown key instead. */
function schemaIssues(issues: ReadonlyArray<{ code?: string; path: PropertyKey[]; message: string; keys?: string[] }>): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) out.push(...zodIssuesToFields([{ path: [...issue.path, key], message: 'unknown field' }]));
    } else {
      out.push(...zodIssuesToFields([issue]));
    }
  }
  return out;
}

/** Resolves a spec-relative file reference, refusing absolute paths and escapes. */
export function resolveSpecPath(baseDir: string, file: string): { ok: true; path: string } | { ok: false; message: string } {
  if (file.includes('\0')) return { ok: false, message: 'contains a NUL byte' };
  if (path.isAbsolute(file)) return { ok: false, message: `"${file}" must be relative to the spec's directory, not absolute` };
  const base = path.resolve(baseDir);
  const abs = path.resolve(base, file);
  const rel = path.relative(base, abs);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    return { ok: false, message: `"${file}" points outside the spec's directory` };
  }
  return { ok: true, path: abs };
}

function readSpecFile(opts: ParseSpecOptions, fieldPath: string, file: string, errors: FieldIssue[]): { path: string; content: string } | null {
  const resolved = resolveSpecPath(opts.baseDir, file);
  if (!resolved.ok) {
    errors.push({ path: fieldPath, message: resolved.message });
    return null;
  }
  try {
    return { path: resolved.path, content: opts.readFile(resolved.path) };
  } catch (err) {
    errors.push({ path: fieldPath, message: `cannot read "${file}": ${message(err)}` });
    return null;
  }
}

function resolvePassword(smtp: ChannelSpecInput['smtp'], env: ParseSpecOptions['env'], errors: FieldIssue[], warnings: string[]): { password: string; ref: PasswordRef } | null {
  if (smtp.passwordEnv !== undefined) {
    const value = env[smtp.passwordEnv];
    if (value === undefined) {
      // Names outside SECRET_ENV_PREFIXES are never offered (src/config.ts secretEnvironment).
      errors.push({ path: 'smtp.passwordEnv', message: `environment variable ${smtp.passwordEnv} is not set (secret references must start with an allowed prefix, CXONE_SECRET_ unless SECRET_ENV_PREFIXES says otherwise)` });
      return null;
    }
    if (value === '') {
      errors.push({ path: 'smtp.passwordEnv', message: `environment variable ${smtp.passwordEnv} is empty` });
      return null;
    }
    return { password: value, ref: { source: 'env', name: smtp.passwordEnv } };
  }
  if (smtp.password === undefined) return null; // reported by exactlyOne
  warnings.push('smtp.password is written in the spec; prefer smtp.passwordEnv so the file holds no secret');
  return { password: smtp.password, ref: { source: 'inline' } };
}

function resolvePrivateKey(dkim: ChannelSpecInput['dkim'], opts: ParseSpecOptions, errors: FieldIssue[], warnings: string[]): { pem: string; ref: PrivateKeyRef } | null {
  if (dkim.privateKeyFile !== undefined) {
    const read = readSpecFile(opts, 'dkim.privateKeyFile', dkim.privateKeyFile, errors);
    return read ? { pem: normalizePem(read.content), ref: { source: 'file', file: dkim.privateKeyFile } } : null;
  }
  if (dkim.privateKey === undefined) return null; // reported by exactlyOne
  warnings.push('dkim.privateKey is written in the spec; prefer dkim.privateKeyFile so the spec holds no secret');
  return { pem: normalizePem(dkim.privateKey), ref: { source: 'inline' } };
}

function resolveTemplates(input: ChannelSpecInput, opts: ParseSpecOptions, errors: FieldIssue[]): ResolvedTemplate[] {
  const out: ResolvedTemplate[] = [];
  input.templates.forEach((t, i) => {
    const fieldPath = `templates.${i}.file`;
    if (!/\.mjml$/i.test(t.file)) {
      errors.push({ path: fieldPath, message: `"${t.file}" is not an .mjml file` });
      return;
    }
    const read = readSpecFile(opts, fieldPath, t.file, errors);
    // The content hash makes a template edit change the spec fingerprint.
    if (read) out.push({ name: t.name, file: t.file, path: read.path, sha256: createHash('sha256').update(read.content).digest('hex') });
  });
  return out;
}

export function parseChannelSpec(text: string, format: SpecFormat, opts: ParseSpecOptions): ParseSpecResult {
  if (typeof text !== 'string' || text.trim() === '') return fail([{ path: '', message: 'the spec is empty' }]);
  const parsed = parseText(text, format);
  if (!parsed.ok) return fail(parsed.errors);
  if (!isRecord(parsed.data)) return fail([{ path: '', message: 'the spec must be a mapping (an object) at the top level' }]);

  const errors: FieldIssue[] = [
    ...exactlyOne(parsed.data, 'smtp', 'password', 'passwordEnv'),
    ...exactlyOne(parsed.data, 'dkim', 'privateKey', 'privateKeyFile'),
  ];
  const checked = channelSpecSchema.safeParse(parsed.data, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'required' : undefined),
  });
  if (!checked.success) return fail([...errors, ...schemaIssues(checked.error.issues)]);
  if (errors.length > 0) return fail(errors);

  const input = checked.data;
  const warnings = [...parsed.warnings];
  const password = resolvePassword(input.smtp, opts.env, errors, warnings);
  const key = resolvePrivateKey(input.dkim, opts, errors, warnings);
  const templates = resolveTemplates(input, opts, errors);
  if (errors.length > 0 || !password || !key) return fail(errors);

  const spec: ResolvedSpec = {
    name: input.name,
    from: input.from,
    replyTo: input.replyTo,
    enabled: input.enabled,
    smtp: {
      host: input.smtp.host.toLowerCase(),
      port: input.smtp.port,
      username: input.smtp.username,
      tls: input.smtp.tls,
      password: password.password,
      passwordRef: password.ref,
    },
    dkim: {
      selector: input.dkim.selector.toLowerCase(),
      domain: input.dkim.domain.toLowerCase().replace(/\.$/, ''),
      privateKey: key.pem,
      privateKeyRef: key.ref,
      publicKeyFingerprint: pemFingerprint(key.pem),
    },
    rules: input.rules.map((r) => ({ ...r })),
    templates,
  };
  return { ok: true, spec, warnings };
}
