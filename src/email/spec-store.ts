// Specs as the fleet keeps them: redacted, with references to where the secrets live. The
// SMTP password and the DKIM PEM are never written to Redis or job data; a worker resolves
// them at run time from the reference (an environment variable name, an absolute file
// path), so worker processes need the same env / secret files as the producer (like a
// Kubernetes secret mounted into every pod).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PermanentError, ValidationError, type FieldIssue } from '../errors.ts';
import type { RedisConnection } from '../redis.ts';
import { checkChannelSpec, type CheckSpecResult } from '../domain/email/check-spec.ts';
import { normalizePem } from '../domain/email/dkim.ts';
import { parseChannelSpec, redactSpec, specFingerprint, type RedactedSpec, type ResolvedSpec, type SpecFormat } from '../domain/email/spec.ts';
import { emailKeys } from './keys.ts';

export const secretRefsSchema = z.object({
  passwordEnv: z.string().min(1),
  /** Absolute, resolved against the spec's directory when the spec was read. */
  privateKeyFile: z.string().min(1),
});
export type SecretRefs = z.infer<typeof secretRefsSchema>;

export interface StoredSpec {
  specKey: string;
  redacted: RedactedSpec;
  secrets: SecretRefs;
  storedAt: number;
}

export interface LoadedSpec {
  resolved: ResolvedSpec;
  redacted: RedactedSpec;
  specKey: string;
  check: CheckSpecResult;
  warnings: string[];
}

export type LoadSpecResult = { ok: true; spec: LoadedSpec } | { ok: false; errors: FieldIssue[]; warnings: string[] };

export interface SpecSource {
  text: string;
  format: SpecFormat;
  baseDir: string;
  env: Record<string, string | undefined>;
  readFile?: (p: string) => string;
}

/** Parse, resolve and check: the whole of `email validate`. */
export async function loadChannelSpec(src: SpecSource): Promise<LoadSpecResult> {
  const readFile = src.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const parsed = parseChannelSpec(src.text, src.format, { baseDir: src.baseDir, env: src.env, readFile });
  if (!parsed.ok) return { ok: false, errors: parsed.errors, warnings: [] };
  const check = await checkChannelSpec(parsed.spec, { readFile });
  const warnings = [...parsed.warnings, ...check.warnings];
  if (check.errors.length > 0) return { ok: false, errors: check.errors, warnings };
  const spec = { resolved: parsed.spec, redacted: redactSpec(parsed.spec), specKey: specFingerprint(parsed.spec), check, warnings };
  return { ok: true, spec };
}

export function formatOf(file: string): SpecFormat {
  return /\.json$/i.test(file) ? 'json' : /\.ya?ml$/i.test(file) ? 'yaml' : 'auto';
}

/**
 * What a provision job may carry: references only. An inline password or key cannot be
 * provisioned through the queue without storing it, so it is refused with the field named.
 */
export function secretRefsOf(spec: ResolvedSpec, baseDir: string): SecretRefs {
  const issues: FieldIssue[] = [];
  if (spec.smtp.passwordRef.source !== 'env') issues.push({ path: 'smtp.password', message: 'inline secrets cannot be provisioned; use smtp.passwordEnv' });
  if (spec.dkim.privateKeyRef.source !== 'file') issues.push({ path: 'dkim.privateKey', message: 'inline secrets cannot be provisioned; use dkim.privateKeyFile' });
  if (issues.length > 0 || spec.smtp.passwordRef.source !== 'env' || spec.dkim.privateKeyRef.source !== 'file') {
    throw new ValidationError('channel spec', issues);
  }
  return { passwordEnv: spec.smtp.passwordRef.name, privateKeyFile: path.resolve(baseDir, spec.dkim.privateKeyRef.file) };
}

export function createSpecStore(deps: { redis: RedisConnection; prefix: string }) {
  const keys = emailKeys(deps.prefix);
  return {
    async put(specKey: string, redacted: RedactedSpec, secrets: SecretRefs): Promise<void> {
      const stored: StoredSpec = { specKey, redacted, secrets, storedAt: Date.now() };
      // JSON.stringify drops the `undefined` password / privateKey members.
      await deps.redis.set(keys.spec(specKey), JSON.stringify(stored));
    },
    async get(specKey: string): Promise<StoredSpec | undefined> {
      const raw = await deps.redis.get(keys.spec(specKey));
      return raw ? (JSON.parse(raw) as StoredSpec) : undefined;
    },
  };
}
export type SpecStore = ReturnType<typeof createSpecStore>;

/** Reads the secrets a reference points at, at the moment they are needed. */
export interface SecretResolver {
  resolve(refs: SecretRefs): { password: string; privateKey: string };
}

export function createSecretResolver(deps: { env: Record<string, string | undefined>; readFile?: (p: string) => string }): SecretResolver {
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  return {
    resolve(refs) {
      const password = deps.env[refs.passwordEnv];
      // Permanent: retrying will not make a missing secret appear; the message names
      // the reference, never a value.
      if (!password) {
        throw new PermanentError(`SMTP password: environment variable ${refs.passwordEnv} is not set in this worker process`, { code: 'SECRET_UNAVAILABLE' });
      }
      let pem: string;
      try {
        pem = normalizePem(readFile(refs.privateKeyFile));
      } catch (err) {
        throw new PermanentError(`DKIM key: cannot read ${refs.privateKeyFile} in this worker process: ${(err as Error).message}`, { code: 'SECRET_UNAVAILABLE' });
      }
      return { password, privateKey: pem };
    },
  };
}
