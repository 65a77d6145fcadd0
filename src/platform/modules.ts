// The one list of domain modules. Everything that serves domains iterates it: the worker
// pool, the ingress (webhooks, control API, OpenAPI), the CLI and the simulator. Leaving a
// module out while the registry still lists its queues does not compile.
import { campaignsModule } from '../campaigns/module.ts';
import { emailModule } from '../email/module.ts';
import { flowsModule } from '../flows/module.ts';
import type { Registry } from 'prom-client';
import type { WebhookKind } from '../ingress/webhook-kinds.ts';
import type { ReplayGuard, ReplayGuardDeps } from '../dead-letters.ts';
import { ALL_QUEUE_KEYS, type QueueKey } from '../queues/registry.ts';
import { previewModule } from '../preview/module.ts';
import { smsModule } from '../sms/module.ts';
import type { WorkerTable } from '../worker-pool.ts';
import { moduleList } from './domain-module.ts';

export const DOMAIN_MODULES = moduleList([smsModule, emailModule, flowsModule, previewModule, campaignsModule]);

export type DomainModules = typeof DOMAIN_MODULES;

/** Every signed webhook route the ingress serves. */
export const WEBHOOK_KINDS: readonly WebhookKind[] = DOMAIN_MODULES.flatMap((m) => m.webhooks ?? []);

/** The guard a queue's dead-letter replay needs, from the module that owns the queue. */
export async function replayGuardFor(key: QueueKey, deps: ReplayGuardDeps): Promise<ReplayGuard | undefined> {
  const owner = DOMAIN_MODULES.find((m) => key in m.queues);
  const guards = await owner?.replayGuards?.();
  return guards?.[key]?.(deps);
}

/** Every module's series on the registry, so the first scrape lists them before any job ran. */
export async function registerDomainMetrics(registry: Registry): Promise<void> {
  const makers = await Promise.all(DOMAIN_MODULES.map((m) => m.metrics?.() ?? Promise.resolve(undefined)));
  for (const make of makers) make?.(registry);
}

/** The processor of every queue, loaded from the modules (only worker processes need it). */
export async function loadWorkerTable(): Promise<WorkerTable> {
  const parts = await Promise.all(DOMAIN_MODULES.map((m) => m.processors()));
  const table = Object.assign({}, ...parts) as Partial<WorkerTable>;
  const missing = ALL_QUEUE_KEYS.filter((k) => !table[k]);
  // moduleList makes this a compile error; the check guards a cast somewhere upstream.
  if (missing.length > 0) throw new Error(`no processor for queue(s): ${missing.join(', ')}`);
  return table as WorkerTable;
}
