// The only module that reads process.env. Every variable is validated here, once, and a
// bad start-up names each bad variable on its own line (value hidden when secret).
import { z } from 'zod';
import { accountEnvironment, chooseAccount, readAccountsFile } from './config-accounts.ts';
import { productionProblems } from './config-production.ts';
import { ErrorCode, PermanentError } from './errors.ts';

const SECRET_VARS = new Set([
  'CXONE_CLIENT_SECRET',
  'WEBHOOK_SECRETS',
  'ADMIN_PASSWORD',
  'ADMIN_TOKEN',
  'METRICS_TOKEN',
  'REDIS_URL',
]);

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().min(min).max(max);
const csv = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean));
const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s));

// Hash-tagged so every key of every queue lands in one Redis Cluster slot (BullMQ's
// multi-key Lua scripts require it).
const prefix = z
  .string()
  .regex(/^\{[A-Za-z0-9_.-]+\}$/, 'a hash-tagged prefix such as {cxf}');

const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  REDIS_URL: z.string().regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: csv.pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each node must be host:port'))).optional(),
  FLEET_PREFIX: prefix.default('{cxf}'),

  // Several accounts: the file that lists them and the one this process serves (config-accounts.ts).
  CXONE_ACCOUNTS_FILE: optionalString,
  CXONE_ACCOUNT: optionalString.pipe(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -').optional()),
  CXONE_ACCOUNT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or -').default('default'),
  CXONE_BASE_URL: z.string().url('an http(s) URL').default('http://127.0.0.1:4010'),
  CXONE_TOKEN_URL: optionalString.pipe(z.string().url('an http(s) URL').optional()),
  CXONE_CLIENT_ID: z.string().min(1).default('demo-client'),
  CXONE_CLIENT_SECRET: z.string().min(1).default('demo-secret'),
  CXONE_AUTH_STYLE: z.enum(['form', 'basic']).default('form'),
  CXONE_SCOPE: optionalString,
  CXONE_TOKEN_REFRESH_MARGIN_S: int(0, 3600).default(60),
  CXONE_ENDPOINTS: optionalString,
  // The account's budgets (docs/adr/0001-limiter.md). No per-second rate: adaptive by default.
  CXONE_RATE_LIMIT_RPS: z.preprocess(blankAsUnset, num(0.1, 100_000).optional()),
  CXONE_RATE_LIMIT_HEADROOM: num(0, 0.5).default(0.03),
  CXONE_RATE_LIMIT_PER_MIN: z.preprocess(blankAsUnset, int(1).optional()),
  CXONE_RATE_LIMIT_PER_HOUR: z.preprocess(blankAsUnset, int(1).optional()),
  CXONE_RATE_LIMIT_BURST: int(1, 10_000).default(1),
  CXONE_MAX_LIMITER_WAIT_MS: int(1, 600_000).default(2_000),
  CXONE_RATE_LIMIT_ADAPTIVE: optionalString.pipe(z.enum(['true', 'false'], 'true or false').optional()),
  CXONE_RATE_LIMIT_ADAPTIVE_START_RPS: num(0.1, 100_000).default(100),
  CXONE_RATE_LIMIT_ADAPTIVE_MAX_RPS: num(0.1, 100_000).default(1_000),
  CXONE_RATE_LIMIT_ADAPTIVE_DECREASE: num(0.01, 0.9).default(0.2),
  CXONE_RATE_LIMIT_ADAPTIVE_CLIMB: num(0.001, 1).default(0.02),
  CXONE_429_BACKOFF_BASE_MS: int(1).default(2_000),
  CXONE_429_BACKOFF_MAX_MS: int(1).default(60_000),
  CXONE_429_BACKOFF_RESET_MS: int(0).default(10_000),
  CXONE_CONNECT_TIMEOUT_MS: int(1).default(5_000),
  CXONE_HEADERS_TIMEOUT_MS: int(1).default(15_000),
  CXONE_BODY_TIMEOUT_MS: int(1).default(15_000),
  CXONE_POOL_CONNECTIONS: int(1, 10_000).default(64),
  CXONE_BREAKER_FAILURES: int(1).default(10),
  CXONE_BREAKER_OPEN_MS: int(1).default(15_000),
  CXONE_BREAKER_HALF_OPEN_SUCCESSES: int(1).default(2),
  RATE_LIMIT_MAX_RESTARTS: int(0).default(50),

  WORKER_CONCURRENCY: int(1, 10_000).optional(),
  SHUTDOWN_TIMEOUT_MS: int(100).default(10_000),
  WORKER_LOCK_MS: int(1_000).default(30_000),
  METRICS_PORT: int(0, 65_535).default(0),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: optionalString,
  INGRESS_METRICS_PORT: int(0, 65_535).optional(),

  INGRESS_HOST: z.string().default('127.0.0.1'),
  INGRESS_PORT: int(0, 65_535).default(8080),
  INGRESS_BODY_LIMIT_BYTES: int(1).default(256 * 1024),
  PUBLIC_URL: optionalString.pipe(z.string().url('an http(s) URL').optional()),
  WEBHOOK_SECRETS: csv.default(['dev-webhook-secret']),
  WEBHOOK_TOLERANCE_S: int(1).default(300),
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  ADMIN_TOKEN: optionalString,

  SMS_MAX_SEGMENTS: int(1, 255).default(10),
  SMS_VALIDITY_S: int(1).default(24 * 3600),
  SMS_RETENTION_S: int(60).default(7 * 24 * 3600),
  SMS_DEFAULT_REGION: z.string().length(2).default('US'),
  // Receipts that always settle (reconciliation, receipt deadline).
  SMS_RECONCILE_AFTER_S: int(1).default(600),
  SMS_RECONCILE_EVERY_S: int(1, 86_400).default(30),
  SMS_RECONCILE_BATCH: int(1, 10_000).default(500),
  SMS_RECEIPT_DEADLINE_S: int(1).default(72 * 3600),
  // Intake: the duplicate window (0 = off), rejections kept in full per batch, and how
  // long a Redis stall is waited out before an intake gives up.
  SMS_DUPLICATE_WINDOW_S: int(0).default(24 * 3600),
  SMS_MAX_STORED_REJECTIONS: int(0).default(1000),
  SMS_INTAKE_REDIS_WAIT_S: int(0, 3600).default(60),
  // Messages of one batch a send job carries (1: a job per message; OTPs always are).
  SMS_MESSAGES_PER_JOB: int(1, 100).default(20),

  // Preview campaigns (src/preview/): tier limit, deadline, 412 retries, page sizes.
  PREVIEW_MAX_CONCURRENT: int(1, 10_000).default(3),
  PREVIEW_DEADLINE_MS: int(1_000, 3_600_000).default(60_000),
  PREVIEW_PRECONDITION_RETRIES: int(1, 20).default(3),
  PREVIEW_CONTACT_PAGE_SIZE: int(1, 1_000).default(250),
  PREVIEW_SUPPRESSION_PAGE_SIZE: int(1, 1_000).default(1_000),
  EMAIL_SECRETS_DIR: z.string().default('.'),

  // Campaign launch: start polls (3 s + 0-2 s jitter, CL 166-167), start deadline, DNC freshness (0 = off).
  CAMPAIGN_POLL_INTERVAL_MS: int(1, 3_600_000).default(3_000),
  CAMPAIGN_POLL_JITTER_MS: int(0, 3_600_000).default(2_000),
  CAMPAIGN_START_TIMEOUT_MS: int(1).default(600_000),
  CAMPAIGN_DNC_MAX_AGE_DAYS: int(0, 3650).default(31),
  // Pacing checks and the abandonment budget (TSR: 3 % of live answers over 30 days; Ofcom: 24 h).
  PACING_CHECK_EVERY_MS: int(100, 86_400_000).default(30_000),
  PACING_POLICY: z.enum(['seed', 'seed+abandon-cap', 'manual']).default('seed+abandon-cap'),
  PACING_TARGET_ANSWER_RATE: num(0, 1).default(0.35),
  PACING_MAX_STEP_UP: z.preprocess(blankAsUnset, num(0, 100).optional()),
  PACING_FLOOR_CPM: int(1, 1000).default(1),
  // CXone's realtime window: a raise waits until the realtime figures describe the rate in force alone.
  PACING_REALTIME_WINDOW_MS: int(0, 86_400_000).default(300_000),
  ABANDON_LIMIT: num(0, 1).default(0.03),
  ABANDON_TARGET: num(0, 1).default(0.024),
  ABANDON_MIN_ANSWERED: int(0).default(50),
  ABANDON_ON_EXHAUSTED: z.enum(['floor', 'stop']).default('floor'),
  // The dialer breaker, per campaign (CL 445: 3 failures, 2 successes, 30 s).
  DIALER_BREAKER_FAILURES: int(1, 1000).default(3),
  DIALER_BREAKER_OPEN_MS: int(1, 3_600_000).default(30_000),
  DIALER_BREAKER_HALF_OPEN_SUCCESSES: int(1, 1000).default(2),
  // Secret references (an email spec's smtp.passwordEnv) may only name variables with one
  // of these prefixes, so a spec cannot make a worker read CXONE_CLIENT_SECRET or REDIS_URL.
  SECRET_ENV_PREFIXES: csv.pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9_]{2,}$/, 'prefixes of upper-case variable names, e.g. CXONE_SECRET_')).min(1)).default(['CXONE_SECRET_']),

  // Call flows: the document's limits (CF 101-105, 148), job polling (CF 247-249) and the
  // subscription registered after a publish (CXONE_WEBHOOK_URL in the seed; both or neither).
  FLOW_MAX_DEPTH: int(1, 100_000).default(45),
  FLOW_MAX_RETRIES: int(0, 1000).default(3),
  FLOW_DISCLOSURE_TYPE: z.string().min(1).max(64).default('disclosure'),
  FLOW_TERMINALS: csv.pipe(z.array(z.string().min(1).max(64)).min(1)).default(['agent', 'voicemail', 'disconnect', 'callback']),
  FLOW_MAX_NODES_WARN: int(1).default(250),
  FLOW_JOB_POLL_MS: int(1, 3_600_000).default(2_000),
  FLOW_JOB_MAX_POLLS: int(1, 100_000).default(10),
  FLOW_PUBLISH_DEADLINE_S: int(1, 7 * 24 * 3600).default(3600),
  FLOW_WEBHOOK_URL: optionalString.pipe(z.string().url('an http(s) URL').optional()),
  FLOW_WEBHOOK_SECRET_ENV: optionalString.pipe(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'the name of an environment variable').optional()),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends PermanentError {
  readonly lines: string[];
  constructor(lines: string[]) {
    super(`invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`, { code: ErrorCode.ConfigInvalid });
    this.lines = lines;
  }
}

export function loadConfig(given: Record<string, string | undefined> = process.env) {
  const env = withAccount(given);
  const input = Object.fromEntries(Object.keys(envSchema.shape).map((k) => [k, env[k]]));
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const raw = env[name];
      const shown = SECRET_VARS.has(name) || raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`;
      return `${name}${shown}: ${issue.message}`;
    });
    throw new ConfigError(lines);
  }
  if ((parsed.data.FLOW_WEBHOOK_URL === undefined) !== (parsed.data.FLOW_WEBHOOK_SECRET_ENV === undefined)) {
    throw new ConfigError(['FLOW_WEBHOOK_URL and FLOW_WEBHOOK_SECRET_ENV: set both (the subscription and the variable holding its secret) or neither']);
  }
  if (parsed.data.NODE_ENV === 'production') {
    const lines = productionProblems(env);
    if (lines.length > 0) throw new ConfigError(lines);
  }
  return toConfig(parsed.data);
}

function toConfig(e: Env) {
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redis: { url: e.REDIS_URL, clusterNodes: e.REDIS_CLUSTER_NODES, prefix: e.FLEET_PREFIX },
    cxone: {
      accountId: e.CXONE_ACCOUNT_ID,
      baseUrl: e.CXONE_BASE_URL.replace(/\/+$/, ''),
      tokenUrl: e.CXONE_TOKEN_URL,
      clientId: e.CXONE_CLIENT_ID,
      clientSecret: e.CXONE_CLIENT_SECRET,
      authStyle: e.CXONE_AUTH_STYLE,
      scope: e.CXONE_SCOPE,
      refreshMarginMs: e.CXONE_TOKEN_REFRESH_MARGIN_S * 1000,
      endpointOverrides: e.CXONE_ENDPOINTS,
      rateLimit: {
        // The per-second rate, or the adaptive rate's ceiling when none is configured.
        rps: e.CXONE_RATE_LIMIT_RPS ?? e.CXONE_RATE_LIMIT_ADAPTIVE_MAX_RPS,
        rpsConfigured: e.CXONE_RATE_LIMIT_RPS !== undefined,
        headroom: e.CXONE_RATE_LIMIT_HEADROOM,
        perMin: e.CXONE_RATE_LIMIT_PER_MIN,
        perHour: e.CXONE_RATE_LIMIT_PER_HOUR,
        burst: e.CXONE_RATE_LIMIT_BURST,
        maxWaitMs: e.CXONE_MAX_LIMITER_WAIT_MS,
        adaptive: (e.CXONE_RATE_LIMIT_ADAPTIVE ?? String(e.CXONE_RATE_LIMIT_RPS === undefined)) === 'true'
          ? { startRps: e.CXONE_RATE_LIMIT_ADAPTIVE_START_RPS, decrease: e.CXONE_RATE_LIMIT_ADAPTIVE_DECREASE, climb: e.CXONE_RATE_LIMIT_ADAPTIVE_CLIMB }
          : undefined,
        backoff: { baseMs: e.CXONE_429_BACKOFF_BASE_MS, capMs: e.CXONE_429_BACKOFF_MAX_MS, quietMs: e.CXONE_429_BACKOFF_RESET_MS },
      },
      http: {
        connectTimeoutMs: e.CXONE_CONNECT_TIMEOUT_MS,
        headersTimeoutMs: e.CXONE_HEADERS_TIMEOUT_MS,
        bodyTimeoutMs: e.CXONE_BODY_TIMEOUT_MS,
        connections: e.CXONE_POOL_CONNECTIONS,
      },
      breaker: {
        failureThreshold: e.CXONE_BREAKER_FAILURES,
        openMs: e.CXONE_BREAKER_OPEN_MS,
        halfOpenSuccesses: e.CXONE_BREAKER_HALF_OPEN_SUCCESSES,
      },
    },
    rateLimitMaxRestarts: e.RATE_LIMIT_MAX_RESTARTS,
    worker: { concurrency: e.WORKER_CONCURRENCY, shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS, metricsPort: e.METRICS_PORT, lockMs: e.WORKER_LOCK_MS },
    /** Where a process's /metrics, /healthz and /readyz listen when they have a port of their own. */
    ops: { host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    ingress: {
      host: e.INGRESS_HOST,
      port: e.INGRESS_PORT,
      bodyLimitBytes: e.INGRESS_BODY_LIMIT_BYTES,
      publicUrl: e.PUBLIC_URL,
      webhookSecrets: e.WEBHOOK_SECRETS,
      webhookToleranceS: e.WEBHOOK_TOLERANCE_S,
      admin: { user: e.ADMIN_USER, password: e.ADMIN_PASSWORD, token: e.ADMIN_TOKEN },
      /** When set, /metrics leaves the public port for METRICS_HOST:INGRESS_METRICS_PORT. */
      metricsPort: e.INGRESS_METRICS_PORT,
    },
    sms: {
      maxSegments: e.SMS_MAX_SEGMENTS,
      validityMs: e.SMS_VALIDITY_S * 1000,
      retentionS: e.SMS_RETENTION_S,
      defaultRegion: e.SMS_DEFAULT_REGION,
      reconcile: {
        afterMs: e.SMS_RECONCILE_AFTER_S * 1000,
        everyMs: e.SMS_RECONCILE_EVERY_S * 1000,
        batch: e.SMS_RECONCILE_BATCH,
        receiptDeadlineMs: e.SMS_RECEIPT_DEADLINE_S * 1000,
      },
      intake: {
        duplicateWindowS: e.SMS_DUPLICATE_WINDOW_S,
        maxStoredRejections: e.SMS_MAX_STORED_REJECTIONS,
        redisWaitMs: e.SMS_INTAKE_REDIS_WAIT_S * 1000,
        messagesPerJob: e.SMS_MESSAGES_PER_JOB,
      },
    },
    email: { secretsDir: e.EMAIL_SECRETS_DIR },
    flows: {
      check: { maxDepth: e.FLOW_MAX_DEPTH, maxRetries: e.FLOW_MAX_RETRIES, disclosureType: e.FLOW_DISCLOSURE_TYPE, terminals: e.FLOW_TERMINALS, maxNodesWarn: e.FLOW_MAX_NODES_WARN },
      pollMs: e.FLOW_JOB_POLL_MS,
      maxPolls: e.FLOW_JOB_MAX_POLLS,
      deadlineMs: e.FLOW_PUBLISH_DEADLINE_S * 1000,
      webhook: e.FLOW_WEBHOOK_URL && e.FLOW_WEBHOOK_SECRET_ENV ? { url: e.FLOW_WEBHOOK_URL, secretEnv: e.FLOW_WEBHOOK_SECRET_ENV } : undefined,
    },
    preview: {
      maxConcurrent: e.PREVIEW_MAX_CONCURRENT,
      deadlineMs: e.PREVIEW_DEADLINE_MS,
      preconditionRetries: e.PREVIEW_PRECONDITION_RETRIES,
      contactPageSize: e.PREVIEW_CONTACT_PAGE_SIZE,
      suppressionPageSize: e.PREVIEW_SUPPRESSION_PAGE_SIZE,
    },
    campaigns: {
      poll: { intervalMs: e.CAMPAIGN_POLL_INTERVAL_MS, jitterMs: e.CAMPAIGN_POLL_JITTER_MS },
      startTimeoutMs: e.CAMPAIGN_START_TIMEOUT_MS,
      dncMaxAgeDays: e.CAMPAIGN_DNC_MAX_AGE_DAYS,
      pacing: {
        everyMs: e.PACING_CHECK_EVERY_MS,
        policy: e.PACING_POLICY,
        targetAnswerRate: e.PACING_TARGET_ANSWER_RATE,
        realtimeWindowMs: e.PACING_REALTIME_WINDOW_MS,
        budget: {
          limit: e.ABANDON_LIMIT,
          target: e.ABANDON_TARGET,
          minAnswered: e.ABANDON_MIN_ANSWERED,
          onExhausted: e.ABANDON_ON_EXHAUSTED,
          floorCpm: e.PACING_FLOOR_CPM,
          maxStepUp: e.PACING_MAX_STEP_UP,
        },
      },
      breaker: { failureThreshold: e.DIALER_BREAKER_FAILURES, openMs: e.DIALER_BREAKER_OPEN_MS, halfOpenSuccesses: e.DIALER_BREAKER_HALF_OPEN_SUCCESSES },
    },
    secretEnvPrefixes: e.SECRET_ENV_PREFIXES,
  } as const;
}

export type Config = ReturnType<typeof loadConfig>;

/**
 * With CXONE_ACCOUNTS_FILE set, the environment with the chosen account's settings over it
 * (src/config-accounts.ts); without it, the environment as it is (one account, as before).
 */
function withAccount(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const path = env.CXONE_ACCOUNTS_FILE?.trim();
  if (!path) return env;
  const read = readAccountsFile(path);
  if (!read.ok) throw new ConfigError(read.lines);
  const chosen = chooseAccount(read.file, env.CXONE_ACCOUNT?.trim() || undefined);
  if (!chosen.ok) throw new ConfigError([chosen.line]);
  const prefixes = envSchema.shape.SECRET_ENV_PREFIXES.safeParse(env.SECRET_ENV_PREFIXES);
  const account = accountEnvironment(read.file, chosen.id, chosen.entry, env, prefixes.success ? prefixes.data : ['CXONE_SECRET_']);
  if (!account.ok) throw new ConfigError([account.line]);
  return { ...env, ...account.env };
}

/**
 * The configuration of each named account, for a worker process that serves several
 * (`all`: every account in CXONE_ACCOUNTS_FILE). Each is loadConfig with CXONE_ACCOUNT set.
 */
export function loadAccountConfigs(names: readonly string[], env: Record<string, string | undefined> = process.env): Config[] {
  let ids = names;
  if (names.includes('all')) {
    const path = env.CXONE_ACCOUNTS_FILE?.trim();
    if (!path) throw new ConfigError(['--accounts all: set CXONE_ACCOUNTS_FILE to the file that lists them']);
    const read = readAccountsFile(path);
    if (!read.ok) throw new ConfigError(read.lines);
    ids = Object.keys(read.file.accounts);
  }
  if (ids.length > 1 && !env.CXONE_ACCOUNTS_FILE?.trim()) throw new ConfigError([`--accounts ${ids.join(',')}: set CXONE_ACCOUNTS_FILE to the file that lists them`]);
  return [...new Set(ids)].map((id) => loadConfig({ ...env, CXONE_ACCOUNT: id }));
}

/**
 * The CLI's --account: the account this process and the processes it starts serve. Kept in
 * the environment (the one place configuration is read from) so child processes inherit it.
 */
export function selectAccount(id: string): void {
  process.env.CXONE_ACCOUNT = id;
}

/**
 * Where secrets named by reference live (an email spec's `smtp.passwordEnv`): the variables
 * whose names start with an allowed prefix (SECRET_ENV_PREFIXES, default CXONE_SECRET_), and
 * no others. Their names are chosen by whoever writes the spec, so they cannot be declared
 * above; they are read here all the same, so this file stays the only reader of the environment.
 */
export function secretEnvironment(env: Record<string, string | undefined> = process.env): Readonly<Record<string, string | undefined>> {
  const parsed = envSchema.shape.SECRET_ENV_PREFIXES.safeParse(env.SECRET_ENV_PREFIXES);
  const prefixes = parsed.success ? parsed.data : ['CXONE_SECRET_'];
  return Object.fromEntries(Object.entries(env).filter(([name]) => prefixes.some((p) => name.startsWith(p))));
}

/**
 * LOG_LEVEL alone, for what runs before (or without) a valid configuration: the CLI's
 * failure line, the simulator and the demo. Not validated: a bad value is loadConfig's to name.
 */
export function logLevelSetting(fallback: string): string {
  return process.env.LOG_LEVEL ?? fallback;
}

/** This process's environment with `overrides`: for child processes and configs built from it. */
export function environmentWith(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}
export type CxoneAccountConfig = Config['cxone'];
