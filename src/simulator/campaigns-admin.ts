// /_sim/campaigns/*: the HTTP twins of sim.campaigns for out-of-process drivers (benchmarks,
// the demo): the runtime knobs, the campaigns with their status and polls, and a status set
// as CXone would set it on its own.
import { z } from 'zod';
import type { SimLogger } from './config.ts';
import type { CampaignsControl } from './campaigns.ts';
import { adminTableHandler, configRoute } from './admin-table.ts';
import { parseJsonBody } from './http-io.ts';
import type { SimAdminHandler } from './sim-module.ts';

export const CAMPAIGNS_ADMIN_PREFIX = '/_sim/campaigns/';

const statusBody = z.object({ id: z.string().min(1), status: z.enum(['QUEUED', 'INITIALIZING', 'RUNNING', 'STOPPED', 'ERROR']) }).strict();

export function createCampaignsAdminHandler(control: CampaignsControl, logger: SimLogger): SimAdminHandler {
  return adminTableHandler(
    CAMPAIGNS_ADMIN_PREFIX,
    {
      config: configRoute(control),
      campaigns: { GET: () => ({ status: 200, body: { data: control.campaigns() } }) },
      status: {
        POST: (raw) => {
          const { id, status } = parseJsonBody(raw, statusBody);
          return control.setStatus(id, status) ? { status: 200, body: { ok: true } } : { status: 404, body: { error: 'not_found', message: `no campaign ${id}` } };
        },
      },
    },
    logger,
  );
}
