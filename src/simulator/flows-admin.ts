// /_sim/flows/*: the HTTP twins of sim.flows for out-of-process drivers (demo, CLI e2e).
// Like the rest of /_sim/* there is no auth, no fault and no rate limit here.
import { z } from 'zod';
import type { SimLogger } from './config.ts';
import type { FlowsControl } from './flows-schemas.ts';
import { adminTableHandler, configRoute, type AdminRoutes } from './admin-table.ts';
import { parseJsonBody } from './http-io.ts';
import type { SimResponse } from './http-io.ts';

export const FLOWS_ADMIN_PREFIX = '/_sim/flows/';

const idBody = z.object({ id: z.string().min(1) }).strict();

export function createFlowsAdminHandler(control: FlowsControl, logger: SimLogger) {
  const byId = (fn: (id: string) => boolean) => (raw: Buffer, _q: URLSearchParams): SimResponse => {
    const { id } = parseJsonBody(raw, idBody);
    return fn(id) ? { status: 200, body: { ok: true } } : { status: 404, body: { error: 'not_found', message: `no flow ${id}` } };
  };
  const routes: AdminRoutes = {
    config: configRoute(control),
    flows: { GET: (_raw, q) => ({ status: 200, body: { data: control.flows(q.get('name') ?? undefined) } }) },
    subscriptions: { GET: () => ({ status: 200, body: { data: control.subscriptions() } }) },
    delete: { POST: byId((id) => control.deleteFlow(id)) },
    update: { POST: byId((id) => control.updateFlow(id)) },
  };
  return adminTableHandler(FLOWS_ADMIN_PREFIX, routes, logger);
}
