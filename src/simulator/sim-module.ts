// The seam for API areas. Each area (SMS today; email channels, campaigns, flows next) is
// a module: its routes, its state, its stats section, its reset. The core pipeline
// (faults, auth, rate limit, scope) runs before any route, so a module only answers the
// business part of a call and never re-implements the cross-cutting rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Endpoint, EndpointMap } from '../cxone/endpoints.ts';
import type { ConfigStore, SimLogger } from './config.ts';
import type { SimResponse } from './http-io.ts';
import type { TokenRecord } from './oauth.ts';
import type { WebhookSender } from './webhook-sender.ts';

export interface RouteContext {
  req: IncomingMessage;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The raw body (<= 1 MB); parse it with parseJsonBody and a zod schema. */
  body: Buffer;
  auth: TokenRecord;
  /** Arrival time on the simulator clock (epoch ms). */
  now: number;
}

export interface SimRoute {
  endpoint: Endpoint;
  /** Scope the bearer token must hold; null when any valid token will do. */
  scope: string | null;
  handle(ctx: RouteContext): SimResponse | Promise<SimResponse>;
}

export interface ModuleDeps {
  endpoints: EndpointMap;
  config: ConfigStore;
  webhooks: WebhookSender;
  /** The simulator clock (epoch ms); tests may freeze it. */
  now: () => number;
  logger: SimLogger;
}

export interface SimModule {
  /** Key of this module's section in the stats JSON. */
  name: string;
  routes: SimRoute[];
  stats(): unknown;
  /** Forget counters and remembered requests (idempotency keys, resources). */
  reset(): void;
  /** Cancel the module's own timers (async state machines). */
  close?(): void;
  /** In-process handle for tests and the demo (sim.<name>); its HTTP twin is `admin`. */
  control?: unknown;
  /** Serves /_sim/<name>/... (no auth, faults or rate limit, like the rest of /_sim/). */
  admin?: SimAdminHandler;
}

/** `pathname` is the whole path (it starts with /_sim/<name>/); `search` the query without '?'. */
export type SimAdminHandler = (req: IncomingMessage, res: ServerResponse, pathname: string, search: string) => void;

/** A module with its admin paths, built from its control (the manifests' simulator loaders use it). */
export function withAdmin<M extends SimModule & { control: C }, C>(
  create: (deps: ModuleDeps) => M,
  admin: (control: C, logger: SimLogger) => SimAdminHandler,
): (deps: ModuleDeps) => M & { admin: SimAdminHandler } {
  return (deps) => {
    const module = create(deps);
    return { ...module, admin: admin(module.control, deps.logger) };
  };
}
