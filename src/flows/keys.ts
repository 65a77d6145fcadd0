// Every Redis key and job id of the flows area. Flow names are free text ("Q3 Outbound
// Compliance Campaign"), so keys use a short hash of the name (nameRef); BullMQ job ids must
// not contain ':'.
import { createHash } from 'node:crypto';
import { fleetKey } from '../redis.ts';

export function flowKeys(prefix: string) {
  const k = (...parts: string[]) => fleetKey(prefix, 'flow', ...parts);
  return {
    /** String: canonical JSON of one flow content (kept: rollback and diff read it). */
    spec: (flowKey: string) => k('spec', flowKey),
    /** Hash: name, latestRevision, latestFlowKey, cxoneFlowId, updatedAt of one flow name. */
    name: (ref: string) => k('name', ref),
    /** List: the revisions of one flow name, JSON, revision n at index n - 1. */
    revisions: (ref: string) => k('name', ref, 'revisions'),
    /** Hash: CXone job id -> revision number (a job is recorded once, however often it is seen). */
    revisionByJob: (ref: string) => k('name', ref, 'by-job'),
    /** Hash: flow name -> nameRef, for listing. */
    names: () => k('names'),
    /** Hash: CXone flow id -> flow name. */
    byFlowId: () => k('by-flow-id'),
    /** Hash: one publish request's record (status, step, ids, error). */
    publish: (publishId: string) => k('publish', publishId),
    /** List: the steps one publish went through, JSON lines, oldest first. */
    publishSteps: (publishId: string) => k('publish', publishId, 'steps'),
    /** Hash: CXone job id -> publishId, for every job the fleet submitted (drift is the rest). */
    jobs: () => k('jobs'),
    /** Hash: the seed's four counters (BuildMetrics), fleet-wide. */
    metrics: () => k('metrics'),
    /** List: recorded events of one CXone flow, newest first. */
    events: (flowId: string) => k('events', flowId),
    /** Hash: processing marks of one event (recorded, audited). */
    event: (eventId: string) => k('event', eventId),
    /** Hash: subscription id -> JSON {url, eventTypes, secretEnv, registeredAt}. */
    subscriptions: () => k('subscriptions'),
  };
}

export type FlowKeys = ReturnType<typeof flowKeys>;

/** 16 hex characters of sha256(name): stable across processes, safe in keys and job ids. */
export function nameRef(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 16);
}

export const flowJobIds = {
  publish: (publishId: string) => `flow.publish.${publishId}`,
} as const;

/** The CXone job's idempotency key: one job per content and base revision, however often asked. */
export function flowIdempotencyKey(flowKey: string, baseRevision: number): string {
  return `flow.${flowKey}.${baseRevision}`;
}
