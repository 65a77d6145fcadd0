// What the flows endpoints accept, checked on the simulator's own terms: it must not import
// the fleet's flow checker (src/domain/flows), so a disagreement between client and server
// shows up in tests instead of being agreed away.
import { z } from 'zod';
import type { FlowJobOutcome, FlowsConfig } from './flows-config.ts';

export const FLOW_EVENT_TYPES = ['flow.created', 'flow.updated', 'flow.deleted'] as const;
export type FlowEventType = (typeof FLOW_EVENT_TYPES)[number];

const id = z.string().min(1).max(128);

export const flowBodySchema = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(4000).optional(),
  entry_node: id,
  nodes: z
    .array(
      z.object({
        id,
        type: z.string().min(1).max(64),
        actions: z
          .array(
            z.object({
              directive: z.string().min(1).max(64),
              media_url: z.string().optional(),
              text: z.string().optional(),
              max_retries: z.number().int().min(0).optional(),
            }),
          )
          .optional(),
      }),
    )
    .min(1)
    .max(100_000),
  transitions: z.array(z.object({ from_node: id, to_node: id, condition: z.string().min(1) })).max(1_000_000),
});
export type FlowBody = z.output<typeof flowBodySchema>;

export const subscriptionBodySchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    event_types: z.array(z.enum(FLOW_EVENT_TYPES)).min(1),
    secret: z.string().min(8, 'a signing secret of at least 8 characters is required'),
  })
  .strict();
export type SubscriptionBody = z.output<typeof subscriptionBodySchema>;

export interface JobView {
  id: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  message: string;
  flow_id?: string;
  errors?: string[];
}

export interface FlowEvent {
  eventId: string;
  eventType: FlowEventType;
  flowId: string;
  timestamp: string;
  data: { name: string; version: number; jobId?: string };
}

export interface Job {
  id: string;
  accountId: string;
  body: FlowBody;
  /** Decided when the job is created: a later knob change affects later jobs only. */
  outcome: FlowJobOutcome;
  status: JobView['status'];
  polls: number;
  createdAt: number;
  flowId?: string;
  errors?: string[];
}

export interface FlowVersion {
  version: number;
  /** null for a change the fleet did not make (control.updateFlow). */
  jobId: string | null;
  at: string;
}

export interface StoredFlow {
  id: string;
  accountId: string;
  name: string;
  deleted: boolean;
  versions: FlowVersion[];
}

export interface Subscription {
  id: string;
  accountId: string;
  url: string;
  types: FlowEventType[];
  secret: string;
}

export interface FlowView {
  id: string;
  name: string;
  version: number;
  deleted: boolean;
  versions: FlowVersion[];
}

export interface FlowsStats {
  jobsCreated: number;
  idempotentReplays: number;
  jobPolls: number;
  jobsByStatus: Record<JobView['status'], number>;
  /** Latest version per flow name (deleted flows left out). */
  flowsByName: Record<string, number>;
  subscriptions: number;
  eventsSent: Record<string, number>;
  eventsFailed: number;
  eventsPending: number;
  status422: number;
  subscriptionConflicts: number;
  /** Responses failed or dropped by the one-shot fault knobs. */
  faultsInjected: number;
  /** POST /api/flows answered 429 by the throttleNextCreates knob. */
  createsThrottled: number;
}

/** sim.flows: knobs and out-of-band changes (another admin editing a flow, a deletion). */
export interface FlowsControl {
  /** Validates and merges; throws SimulatorConfigError naming the bad field. */
  configure(patch: unknown): FlowsConfig;
  config(): FlowsConfig;
  flows(name?: string): FlowView[];
  /** Deletes a flow and emits flow.deleted; false when there is no such flow. */
  deleteFlow(id: string): boolean;
  /** A new version made outside the fleet (no job): emits flow.updated without jobId. */
  updateFlow(id: string): boolean;
  subscriptions(): { id: string; url: string; event_types: FlowEventType[] }[];
}
