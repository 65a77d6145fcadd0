// The CXone simulator: a node:http server (not Express) so fault injection can hold or
// destroy individual sockets and close() can tear every connection down at once. Used by
// tests, the demo and benchmarks, never by production code paths.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ENDPOINTS } from '../cxone/endpoints.ts';
import type { EndpointMap } from '../cxone/endpoints.ts';
import { createAdminHandler, ADMIN_PREFIX } from './admin.ts';
import {
  DEFAULT_CLIENT,
  DEFAULT_TOKEN_LIFETIME_S,
  SILENT_LOGGER,
  createConfigStore,
  parseConfigPatch,
} from './config.ts';
import type { ClientConfig, FaultConfig, RateLimitConfig, SimLogger, WebhookConfig } from './config.ts';
import type { EmailConfig } from './email-config.ts';
import type { DomainModules } from '../platform/modules.ts';
import type { SimControlsOf, SimStatsOf } from '../platform/domain-module.ts';
import { createModules, loadSimModules } from './modules.ts';
import type { SimAdminHandler } from './sim-module.ts';
import { createTokenStore } from './oauth.ts';
import { createPipeline } from './pipeline.ts';
import { createAccountLimiters } from './rate-limit.ts';
import { createRouter } from './router.ts';
import { createCoreStats } from './stats.ts';
import type { CoreStatsSnapshot } from './stats.ts';
import { TimerSet } from './timer-set.ts';
import { createWebhookSender } from './webhook-sender.ts';
import type { WebhookStats } from './webhook-sender.ts';

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 3600. */
  tokenLifetimeS?: number;
  /** Default: demo-client / demo-secret on account 'default' with every scope. */
  clients?: ClientConfig[];
  /** Per account, sliding 1-second window; null/absent = unlimited. Token requests are exempt. */
  rateLimit?: RateLimitConfig | null;
  /** Limits of their own for some accounts, by account id (the others get `rateLimit`). */
  accountRateLimits?: Record<string, RateLimitConfig> | null;
  /** Apply to API routes; the token endpoint gets latency only; /_sim/* nothing. */
  faults?: FaultConfig | null;
  webhooks?: WebhookConfig | null;
  logger?: SimLogger;
  /**
   * Epoch-ms clock for token expiry, rate-limit windows, peak1s and sms.*AcceptedAt.
   * Tests freeze or step it instead of sleeping. Default: a monotonic epoch clock.
   */
  now?: () => number;
  /** Serve overridden paths, mirroring the client's CXONE_ENDPOINTS. */
  endpoints?: Partial<EndpointMap>;
  /** Email module knobs: activation mode and polls, analytics totals, synthetic audit volume. */
  email?: EmailConfig | null;
}

export type SimulatorConfigPatch = Partial<
  Pick<SimulatorOptions, 'rateLimit' | 'accountRateLimits' | 'faults' | 'webhooks' | 'tokenLifetimeS' | 'email'>
>;

/** Each domain's simulator module adds its own section under its name. */
export interface SimulatorStats extends CoreStatsSnapshot, SimStatsOf<DomainModules> {
  /** Open client connections right now (a gauge). */
  connections: number;
  webhooks: WebhookStats;
}

/** sim.<domain>: the in-process handle of each module that has one (sim.email, sim.flows); /_sim/<domain>/ is its HTTP twin. */
export type SimulatorControls = SimControlsOf<DomainModules>;

export interface RunningSimulator extends SimulatorControls {
  url: string;
  port: number;
  /** The same object GET /_sim/stats returns. */
  stats(): SimulatorStats;
  /** Same as POST /_sim/reset: counters, rate windows, idempotency memory, pending webhooks. */
  reset(): void;
  /** Same as POST /_sim/config; a key set to null clears that section. Throws on bad values. */
  configure(patch: SimulatorConfigPatch): void;
  /** Invalidates every issued token: the next API call with any of them gets 401. */
  revokeTokens(): void;
  /** Closes the server, every open socket and all pending timers and webhooks. */
  close(): Promise<void>;
}

const KEEP_ALIVE_TIMEOUT_MS = 30_000;

const monotonicNow = (): number => performance.timeOrigin + performance.now();

function urlFor(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const logger = opts.logger ?? SILENT_LOGGER;
  const now = opts.now ?? monotonicNow;
  const host = opts.host ?? '127.0.0.1';
  const endpoints: EndpointMap = { ...DEFAULT_ENDPOINTS, ...opts.endpoints };
  const clients = opts.clients ?? [DEFAULT_CLIENT];

  const initial = parseConfigPatch({
    tokenLifetimeS: opts.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S,
    rateLimit: opts.rateLimit ?? null,
    accountRateLimits: opts.accountRateLimits ?? null,
    faults: opts.faults ?? null,
    webhooks: opts.webhooks ?? null,
    email: opts.email ?? null,
  });
  const config = createConfigStore({
    tokenLifetimeS: initial.tokenLifetimeS ?? DEFAULT_TOKEN_LIFETIME_S,
    rateLimit: initial.rateLimit ?? null,
    accountRateLimits: initial.accountRateLimits ?? null,
    faults: initial.faults ?? null,
    webhooks: initial.webhooks ?? null,
    email: initial.email ?? null,
  });

  const stats = createCoreStats();
  const tokens = createTokenStore(now);
  const limiter = createAccountLimiters((id) => config.current.accountRateLimits?.[id] ?? config.current.rateLimit);
  const timers = new TimerSet();
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  const webhooks = createWebhookSender({ getConfig: () => config.current.webhooks, logger });
  const modules = createModules(await loadSimModules(), { endpoints, config, webhooks, now, logger });
  const router = createRouter(modules.flatMap((m) => m.routes));
  const moduleAdmin = new Map<string, SimAdminHandler>(modules.flatMap((m) => (m.admin ? [[`${ADMIN_PREFIX}${m.name}/`, m.admin] as const] : [])));
  const controls = Object.fromEntries(modules.flatMap((m) => (m.control === undefined ? [] : [[m.name, m.control]])));
  const pipeline = createPipeline({ router, tokens, clients, limiter, stats, config, timers, held, now, logger });

  const snapshot = (): SimulatorStats => {
    const out: Record<string, unknown> = {
      ...stats.snapshot(held.size),
      connections: sockets.size,
      webhooks: webhooks.stats(),
    };
    for (const m of modules) out[m.name] = m.stats();
    return out as unknown as SimulatorStats;
  };
  const reset = (): void => {
    stats.reset();
    limiter.reset();
    webhooks.reset();
    for (const m of modules) m.reset();
  };
  const configure = (patch: unknown): void => {
    const parsed = parseConfigPatch(patch);
    config.apply(parsed);
    if (parsed.rateLimit !== undefined || parsed.accountRateLimits !== undefined) limiter.reset();
    logger.info({ config: Object.keys(parsed) }, 'simulator reconfigured');
  };
  const revokeTokens = (): void => tokens.revokeAll();

  const admin = createAdminHandler({
    stats: snapshot,
    reset,
    configure,
    config: () => config.current,
    revokeTokens,
    logger,
  });
  const tokenPath = endpoints.token.path;

  const server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q < 0 ? raw : raw.slice(0, q);
    const search = q < 0 ? '' : raw.slice(q + 1);
    if (pathname.startsWith(ADMIN_PREFIX)) {
      // /_sim/<module>/... belongs to that module; the rest of /_sim/ is the core's.
      const slash = pathname.indexOf('/', ADMIN_PREFIX.length);
      const moduleHandler = slash < 0 ? undefined : moduleAdmin.get(pathname.slice(0, slash + 1));
      if (moduleHandler) moduleHandler(req, res, pathname, search);
      else admin(req, res, pathname);
    }
    else if (pathname === tokenPath) pipeline.token(req, res, pathname, search);
    else pipeline.api(req, res, pathname, search);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 5_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'simulator client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: opts.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('simulator: unexpected server address');
  const url = urlFor(host, address.port);
  logger.info({ url, clients: clients.map((c) => c.clientId) }, 'CXone simulator listening');

  let closing: Promise<void> | undefined;
  return {
    ...(controls as SimulatorControls),
    url,
    port: address.port,
    stats: snapshot,
    reset,
    configure,
    revokeTokens,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        timers.clear();
        for (const m of modules) m.close?.();
        // Held (timeout-fault) and keep-alive sockets would otherwise keep close() waiting.
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        await webhooks.close();
        await closed;
        logger.info({ url }, 'CXone simulator closed');
      })();
      return closing;
    },
  };
}
