// /_sim/flows/*: the HTTP twins of sim.flows for out-of-process drivers (demo, CLI e2e).
// Like the rest of /_sim/* there is no auth, no fault and no rate limit here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { configureFromBody } from './admin.ts';
import type { SimLogger } from './config.ts';
import type { FlowsControl } from './flows-schemas.ts';
import { methodNotAllowed, notFound, parseJsonBody, runAdminAction, writeJson } from './http-io.ts';
import type { SimResponse } from './http-io.ts';

export const FLOWS_ADMIN_PREFIX = '/_sim/flows/';

const idBody = z.object({ id: z.string().min(1) }).strict();

export function createFlowsAdminHandler(control: FlowsControl, logger: SimLogger) {
  const byId = (fn: (id: string) => boolean) => (raw: Buffer, _q: URLSearchParams): SimResponse => {
    const { id } = parseJsonBody(raw, idBody);
    return fn(id) ? { status: 200, body: { ok: true } } : { status: 404, body: { error: 'not_found', message: `no flow ${id}` } };
  };
  const routes: Record<string, Record<string, (raw: Buffer, q: URLSearchParams) => SimResponse>> = {
    config: {
      GET: () => ({ status: 200, body: control.config() }),
      POST: (raw) => configureFromBody(raw, (p) => control.configure(p)),
    },
    flows: { GET: (_raw, q) => ({ status: 200, body: { data: control.flows(q.get('name') ?? undefined) } }) },
    subscriptions: { GET: () => ({ status: 200, body: { data: control.subscriptions() } }) },
    delete: { POST: byId((id) => control.deleteFlow(id)) },
    update: { POST: byId((id) => control.updateFlow(id)) },
  };
  return (req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void => {
    const route = routes[pathname.slice(FLOWS_ADMIN_PREFIX.length)];
    const action = route?.[req.method ?? ''];
    if (!route || !action) {
      req.resume();
      writeJson(res, route ? methodNotAllowed(Object.keys(route)) : notFound(req.method ?? '', pathname));
      return;
    }
    runAdminAction(req, res, (raw) => action(raw, new URLSearchParams(search)), logger, 'flows');
  };
}
