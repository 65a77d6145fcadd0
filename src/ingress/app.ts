// The ingress as an Express app that tests can drive without a port: webhooks (signature
// only), vital signs (open), and the admin surface (dashboard + control API) behind admin
// credentials. Without credentials configured, the admin surface is not mounted: its paths
// answer a JSON error that says so and how to enable it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import type { Enqueuer } from '../queues/enqueue.ts';
import type { QueueSet } from '../queues/queue-set.ts';
import type { RedisConnection } from '../redis.ts';
import { accountGuard } from './account-header.ts';
import { adminAuth, adminDisabled } from './admin-auth.ts';
import { createIdempotencyStore } from './api/idempotency.ts';
import { registerControlRoutes } from './api/control-routes.ts';
import { replayGuardFor } from '../platform/modules.ts';
import { API_BASE_PATH, createApiRouter, type ApiRouter } from './api/router.ts';
import { DASHBOARD_PATH, createDashboardHandlers } from './dashboard.ts';
import { errorHandler, notFound } from './errors-middleware.ts';
import { mountHealth } from './health.ts';
import { mountMetrics } from './metrics-route.ts';
import { createRejectionStore, type RejectionStore } from './rejections.ts';
import { createRequestTracker, requestContext } from './request-id.ts';
import { registerTemplateRoutes } from './templates-route.ts';
import { WEBHOOKS_PATH, mountWebhooks, unknownWebhook, webhookLane } from './webhooks.ts';

export interface IngressDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** A 'client' (fail-fast) connection: an outage must become a quick 503, not a hang. */
  redis: RedisConnection;
  queues: QueueSet;
  enqueuer: Enqueuer;
  now?: () => number;
  /** Bound on a webhook's Redis write before answering 503 (default 800 ms). */
  enqueueTimeoutMs?: number;
}

export interface IngressApp {
  app: express.Express;
  /** The server's request listener: webhook POSTs on the webhook lane, the rest on `app`. */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Mount point for later control routes: apiRouter.route(defineRoute({...})). */
  apiRouter: ApiRouter;
  rejections: RejectionStore;
  /** Whether the dashboard and /api are served (admin credentials configured). */
  adminEnabled: boolean;
  /** From now on every answer carries Connection: close (used while draining). */
  startDraining(): void;
}

const API_BODY_LIMIT_BYTES = 1024 * 1024;

export function createApp(deps: IngressDeps): IngressApp {
  const now = deps.now ?? Date.now;
  const prefix = deps.config.redis.prefix;
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const begin = createRequestTracker({ logger: deps.logger, metrics: deps.metrics, draining: () => draining, inFlight });
  app.use(requestContext(begin));
  // Webhooks come first: they are the hot path, and every layer before them is one more
  // match per request. Security headers protect what a browser shows (dashboard, API);
  // webhook answers are a few bytes of JSON to CXone's servers and do without them. A
  // server built with `handle` serves them on the webhook lane before Express sees them;
  // these routes serve the same handler to whoever drives `app` directly.
  const rejections = createRejectionStore({ redis: deps.redis, prefix });
  const webhookDeps = { ...deps, rejections, now };
  mountWebhooks(app, webhookDeps);
  // A kind whose domain has not landed (or a typo) is told so, never stored.
  app.use(WEBHOOKS_PATH, unknownWebhook);
  const onWebhookLane = webhookLane({ ...webhookDeps, begin });

  // The ingress is often reached over plain HTTP behind a TLS proxy; upgrading the
  // dashboard's asset requests to https would break it there.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));

  mountHealth(app, deps);
  // With a metrics port of its own (INGRESS_METRICS_PORT), the public port does not serve them.
  if (deps.config.ingress.metricsPort === undefined) mountMetrics(app, { ...deps, token: deps.config.ops.token });

  const apiRouter = createApiRouter({
    idempotency: createIdempotencyStore({ redis: deps.redis, prefix }),
    bodyLimitBytes: API_BODY_LIMIT_BYTES,
    allowedOrigins: deps.config.ingress.publicUrl ? [new URL(deps.config.ingress.publicUrl).origin] : [],
  });
  registerControlRoutes(apiRouter, { queues: deps.queues, rejections, version: '0.1.0', replayGuard: (key) => replayGuardFor(key, deps) });
  registerTemplateRoutes(apiRouter);

  const auth = adminAuth(deps.config.ingress.admin);
  if (auth) {
    app.use(DASHBOARD_PATH, auth, ...createDashboardHandlers(deps.queues, deps.logger));
    app.use(API_BASE_PATH, auth, accountGuard(deps.config.cxone.accountId), apiRouter.router, notFound);
  } else {
    app.use([DASHBOARD_PATH, API_BASE_PATH], adminDisabled);
    deps.logger.warn(
      'admin credentials not configured (ADMIN_USER + ADMIN_PASSWORD, or ADMIN_TOKEN): the dashboard and the control API are disabled',
    );
  }

  app.use(notFound);
  app.use(errorHandler(deps.logger));

  return {
    app,
    handle: (req, res) => {
      if (!onWebhookLane(req, res)) app(req, res);
    },
    apiRouter,
    rejections,
    adminEnabled: auth !== null,
    startDraining: () => {
      draining = true;
      // Keep-alive connections close after their current answer instead of idling until the drain timeout.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
  };
}
