// The simulator's runtime knobs. Tests flip them while the server runs (configure() or
// POST /_sim/config), so they live in one mutable store that every handler reads per
// request instead of capturing values at start-up.
import { z } from 'zod';
import { emailConfigSchema, mergeEmailConfig } from './email-config.ts';
import type { EmailConfig } from './email-config.ts';
import { ALL_SCOPES } from './scopes.ts';

export interface ClientConfig {
  clientId: string;
  clientSecret: string;
  accountId: string;
  scopes: string[];
}

/** How the per-account limit counts (see rate-limit.ts). Default sliding. */
export const LIMIT_MODES = ['sliding', 'token-bucket', 'fixed-minute', 'hidden'] as const;

export interface RateLimitConfig {
  mode?: (typeof LIMIT_MODES)[number];
  /** Allowed API requests per account a second (sliding, hidden; the token-bucket's rate). */
  rps: number;
  /** token-bucket: the bucket's capacity. Default 50 ms of the rate. */
  burst?: number;
  /** fixed-minute: requests per calendar minute. Default 60 x rps. */
  perMin?: number;
  /** Value of the Retry-After header on a sliding-window 429 (whole seconds, >= 1). Default 1. */
  retryAfterS?: number;
}

export interface FaultConfig {
  latencyMs?: number;
  latencyJitterMs?: number;
  /** Share of API requests answered 503 or 502. */
  errorRate?: number;
  /** Share of API requests accepted and never answered. */
  timeoutRate?: number;
  /** Share of API requests whose socket is destroyed without a response. */
  dropRate?: number;
  /**
   * Share of API requests handled in full (a send is accepted) whose response then comes
   * `lateResponseMs` late, or never when that is unset: slower than a client's timeout.
   */
  lateResponseRate?: number;
  lateResponseMs?: number;
}

export interface WebhookMix {
  queued?: number;
  sent?: number;
  delivered?: number;
  undelivered?: number;
  failed?: number;
}

export interface WebhookConfig {
  url: string;
  secret: string;
  /** Relative weights of the final delivery status; default delivered 0.9, undelivered 0.1. */
  mix?: WebhookMix;
  /** Delay between accepting a send and its first webhook. Default 50 ms. */
  delayMs?: number;
  /** Emit a 'sent' event before a final delivered/undelivered one. Default false. */
  intermediateSent?: boolean;
  /** Attempts per event when the receiver fails or answers non-2xx, like CXone retrying. Default 3. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 100 ms. */
  retryDelayMs?: number;
  /**
   * Explicit waits before each retry (ms); overrides maxAttempts and retryDelayMs: [] means
   * no retries at all (as real CXone documents none), [1000, 5000] two retries.
   */
  retryScheduleMs?: number[];
  /** Share of events never sent at all (a receipt lost on the way), counted as dropped. */
  dropRate?: number;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
}

export type SimLogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** Pino-compatible subset; the simulator never writes to the console itself. */
export interface SimLogger {
  info: SimLogFn;
  warn: SimLogFn;
  error: SimLogFn;
  debug: SimLogFn;
}

const noop: SimLogFn = () => undefined;
export const SILENT_LOGGER: SimLogger = { info: noop, warn: noop, error: noop, debug: noop };

export const DEFAULT_CLIENT: ClientConfig = {
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  accountId: 'default',
  scopes: [...ALL_SCOPES],
};

export const DEFAULT_TOKEN_LIFETIME_S = 3600;

/**
 * One more account for `cxone-fleet simulator --sim-account`, written
 * `<account>=<clientId>:<clientSecret>[:<rps>]`: the client's tokens belong to the account,
 * and the account gets a sliding-second limit of its own when rps is given.
 */
export function parseSimAccount(spec: string): { client: ClientConfig; rps: number | undefined } {
  const m = /^([A-Za-z0-9_-]{1,64})=([^:\s]+):([^:\s]+)(?::(\d+))?$/.exec(spec);
  if (!m) throw new SimulatorConfigError([{ field: '--sim-account', message: `"${spec}" is not <account>=<clientId>:<clientSecret>[:<rps>]` }]);
  const [, accountId, clientId, clientSecret, rps] = m as unknown as [string, string, string, string, string | undefined];
  if (rps !== undefined && Number(rps) < 1) throw new SimulatorConfigError([{ field: '--sim-account', message: `${accountId}: rps must be at least 1` }]);
  return { client: { clientId, clientSecret, accountId, scopes: [...ALL_SCOPES] }, rps: rps === undefined ? undefined : Number(rps) };
}

export interface RuntimeConfig {
  tokenLifetimeS: number;
  rateLimit: RateLimitConfig | null;
  /** Limits of their own for some accounts (by account id); the others get `rateLimit`. */
  accountRateLimits?: Record<string, RateLimitConfig> | null;
  faults: FaultConfig | null;
  webhooks: WebhookConfig | null;
  /** Email module knobs; absent or null = defaults. */
  email?: EmailConfig | null;
}

/** A key that is absent or undefined keeps its value; null clears the section. */
export type ConfigPatch = { [K in keyof RuntimeConfig]?: RuntimeConfig[K] | undefined };

const rate = z.number().min(0).max(1);
const ms = z.number().min(0).max(600_000);

const rateLimitSchema = z
  .object({
    mode: z.enum(LIMIT_MODES).optional(),
    rps: z.number().int().min(1).max(1_000_000),
    burst: z.number().int().min(1).max(1_000_000).optional(),
    perMin: z.number().int().min(1).max(60_000_000).optional(),
    retryAfterS: z.number().int().min(1).max(3600).optional(),
  })
  .strict();

const faultsSchema = z
  .object({
    latencyMs: ms.optional(),
    latencyJitterMs: ms.optional(),
    errorRate: rate.optional(),
    timeoutRate: rate.optional(),
    dropRate: rate.optional(),
    lateResponseRate: rate.optional(),
    lateResponseMs: ms.optional(),
  })
  .strict()
  .refine((f) => (f.errorRate ?? 0) + (f.timeoutRate ?? 0) + (f.dropRate ?? 0) + (f.lateResponseRate ?? 0) <= 1, {
    message: 'errorRate + timeoutRate + dropRate + lateResponseRate must not exceed 1',
  });

const weight = z.number().min(0);
const webhooksSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(1),
    mix: z
      .object({
        queued: weight.optional(),
        sent: weight.optional(),
        delivered: weight.optional(),
        undelivered: weight.optional(),
        failed: weight.optional(),
      })
      .strict()
      .refine((m) => Object.values(m).some((w) => w > 0), { message: 'at least one weight must be > 0' })
      .optional(),
    delayMs: ms.optional(),
    intermediateSent: z.boolean().optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    retryDelayMs: ms.optional(),
    retryScheduleMs: z.array(ms).max(20).optional(),
    dropRate: rate.optional(),
    timeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export const configPatchSchema = z
  .object({
    tokenLifetimeS: z.number().positive().max(86_400 * 365).optional(),
    rateLimit: rateLimitSchema.nullable().optional(),
    accountRateLimits: z.record(z.string().min(1), rateLimitSchema).nullable().optional(),
    faults: faultsSchema.nullable().optional(),
    webhooks: webhooksSchema.nullable().optional(),
    email: emailConfigSchema.nullable().optional(),
  })
  .strict();

export interface ConfigIssue {
  field: string;
  message: string;
}

/** Thrown by configure() and startSimulator() on a bad setting; /_sim/config answers 400. */
export class SimulatorConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid simulator config: ${issues.map((i) => `${i.field || '(root)'}: ${i.message}`).join('; ')}`);
    this.issues = issues;
    this.name = 'SimulatorConfigError';
  }
}

export function parseConfigPatch(input: unknown): ConfigPatch {
  const parsed = configPatchSchema.safeParse(input);
  if (!parsed.success) {
    throw new SimulatorConfigError(
      parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

export interface ConfigStore {
  readonly current: Readonly<RuntimeConfig>;
  apply(patch: ConfigPatch): void;
}

export function createConfigStore(initial: RuntimeConfig): ConfigStore {
  let current: RuntimeConfig = { ...initial };
  return {
    get current() {
      return current;
    },
    apply(patch) {
      // A fresh object per change: a request that already read the old config keeps a
      // consistent view of it.
      const next = { ...current };
      if (patch.tokenLifetimeS !== undefined) next.tokenLifetimeS = patch.tokenLifetimeS;
      if (patch.rateLimit !== undefined) next.rateLimit = patch.rateLimit;
      if (patch.accountRateLimits !== undefined) next.accountRateLimits = patch.accountRateLimits;
      if (patch.faults !== undefined) next.faults = patch.faults;
      if (patch.webhooks !== undefined) next.webhooks = patch.webhooks;
      // Email sub-keys merge so a test can set metrics and audit volume in separate calls.
      if (patch.email !== undefined) next.email = mergeEmailConfig(next.email, patch.email);
      current = next;
    },
  };
}

/** What GET /_sim/config shows: the webhook secret never leaves the process. */
export function redactConfig(c: RuntimeConfig): RuntimeConfig {
  return c.webhooks ? { ...c, webhooks: { ...c.webhooks, secret: '[redacted]' } } : c;
}
