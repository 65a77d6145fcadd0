// CXone call flows (CF 176-280): POST /api/flows starts an asynchronous job, GET
// /api/jobs/{id} reports it, POST /api/events/subscriptions registers a webhook for flow
// changes. A 422 names the server's problems in the error; a 409 on a subscription carries
// the existing one's id. Bodies are read loosely (passthrough): only the fields used here
// must be right.
import { z } from 'zod';
import { CxoneHttpError, ErrorCode, PermanentError } from '../errors.ts';
import type { CxoneClient } from './http.ts';

const idValue = z.union([z.string().min(1), z.number()]).transform(String);

export const FLOW_JOB_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;

/** JobResponse {id, status, message, flow_id?, errors?} (F-36). */
export const flowJobSchema = z
  .object({
    id: idValue,
    status: z.enum(FLOW_JOB_STATUSES, 'one of pending, running, completed, failed'),
    message: z.string().optional(),
    flow_id: idValue.optional(),
    errors: z.array(z.union([z.string(), z.looseObject({ message: z.string() }).transform((e) => e.message)])).optional(),
  })
  .passthrough();
export type FlowJob = z.output<typeof flowJobSchema>;

const createdJob = z.object({ id: idValue, status: z.string().optional() }).passthrough();

interface CallOpts {
  signal?: AbortSignal;
  idempotencyKey?: string;
}

export interface ServerProblem {
  path: string;
  message: string;
}

/** The problems of a 422 body: `{errors: [{path, message}]}`, strings, or a bare message. */
export function serverProblems(body: unknown): ServerProblem[] {
  const b = (body ?? {}) as Record<string, unknown>;
  const list = Array.isArray(b.errors) ? b.errors : Array.isArray(b.problems) ? b.problems : undefined;
  if (!list) return typeof b.message === 'string' ? [{ path: '', message: b.message }] : [];
  return list.map((e) => {
    if (typeof e === 'string') return { path: '', message: e };
    const o = (e ?? {}) as Record<string, unknown>;
    const path = typeof o.path === 'string' ? o.path : typeof o.field === 'string' ? o.field : '';
    return { path, message: typeof o.message === 'string' ? o.message : JSON.stringify(o) };
  });
}

const problemText = (ps: readonly ServerProblem[]) => ps.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');

/**
 * Submits the flow; answers the CXone job id. 422 is permanent and says every problem the
 * server named (F-39, F-63); 5xx, timeouts and 429 come out of the client as they always do.
 */
export async function createFlowJob(client: CxoneClient, body: unknown, opts: CallOpts = {}): Promise<{ jobId: string; status: string | undefined }> {
  try {
    const res = await client.request('flowCreate', { body, signal: opts.signal, idempotencyKey: opts.idempotencyKey, schema: createdJob });
    return { jobId: res.body.id, status: res.body.status };
  } catch (err) {
    if (!(err instanceof CxoneHttpError) || err.status !== 422) throw err;
    const problems = serverProblems(err.details?.response);
    throw new PermanentError(`CXone flowCreate answered 422: ${problemText(problems) || 'no reason given'}`, {
      code: ErrorCode.CxoneBadRequest,
      cause: err,
      details: { status: 422, endpoint: 'flowCreate', problems },
    });
  }
}

export async function getFlowJob(client: CxoneClient, jobId: string, opts: CallOpts = {}): Promise<FlowJob> {
  const res = await client.request('jobGet', { params: { id: jobId }, signal: opts.signal, schema: flowJobSchema });
  return res.body;
}

export const FLOW_EVENT_TYPES = ['flow.created', 'flow.updated', 'flow.deleted'] as const;

export interface SubscriptionBody {
  url: string;
  event_types: readonly string[];
  /** The signing secret itself: resolved from its reference for this call only, never stored. */
  secret: string;
}

/**
 * Registers the subscription, or finds it: a 409 (same url and event types) is "already
 * there" with the existing id when the server names it (F-53).
 */
export async function createEventSubscription(client: CxoneClient, body: SubscriptionBody, opts: CallOpts = {}): Promise<{ id: string | undefined; created: boolean }> {
  try {
    const res = await client.request('eventSubscriptionCreate', { body, signal: opts.signal, schema: z.object({ id: idValue }).passthrough() });
    return { id: res.body.id, created: true };
  } catch (err) {
    if (!(err instanceof CxoneHttpError) || err.code !== ErrorCode.CxoneConflict) throw err;
    const id = (err.details?.response as Record<string, unknown> | undefined)?.id;
    return { id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined, created: false };
  }
}
