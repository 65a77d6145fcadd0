// The flows' figures in two places: the document's four BuildMetrics counters (CF 290-295)
// fleet-wide in one Redis hash, which `flow metrics` shows whichever process did the work,
// and Prometheus series per process for dashboards and alerts.
import type { Registry } from 'prom-client';
import type { FlowProblem } from '../domain/flows/problems.ts';
import { counterOnce, histogramOnce } from '../platform/metric-once.ts';
import type { RedisConnection } from '../redis.ts';
import { flowKeys } from './keys.ts';

export interface BuildMetrics {
  total_builds: number;
  successful_validations: number;
  failed_validations: number;
  /** Summed with microsecond precision (F-57). */
  total_latency_ms: number;
}

export function createBuildCounters(deps: { redis: RedisConnection; prefix: string }) {
  const key = flowKeys(deps.prefix).metrics();
  return {
    async validation(passed: boolean): Promise<void> {
      await deps.redis.hincrby(key, passed ? 'successful_validations' : 'failed_validations', 1);
    },
    /** One completed build: its latency from the first validation to the recorded revision. */
    async build(latencyMs: number): Promise<void> {
      await deps.redis
        .multi()
        .hincrby(key, 'total_builds', 1)
        .hincrbyfloat(key, 'total_latency_ms', (Math.round(latencyMs * 1000) / 1000).toFixed(3))
        .exec();
    },
    async read(): Promise<BuildMetrics> {
      const h = await deps.redis.hgetall(key);
      const n = (k: keyof BuildMetrics) => Number(h[k] ?? 0);
      return { total_builds: n('total_builds'), successful_validations: n('successful_validations'), failed_validations: n('failed_validations'), total_latency_ms: n('total_latency_ms') };
    },
  };
}

export type BuildCounters = ReturnType<typeof createBuildCounters>;

export function createFlowMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => counterOnce(registry, { name, help, labelNames });
  return {
    builds: counter('cxone_fleet_flow_builds_total', 'Flow publishes by result (completed, unchanged, failed)', ['result']),
    validations: counter('cxone_fleet_flow_validations_total', 'Flow validations by result (passed, failed) and where (request, worker)', ['result', 'where']),
    problems: counter('cxone_fleet_flow_problems_total', 'Flow problems found, by code and severity', ['code', 'severity']),
    jobPolls: counter('cxone_fleet_flow_job_polls_total', 'GET /api/jobs/{id} polls of CXone flow jobs, by the status answered', ['status']),
    events: counter('cxone_fleet_flow_events_total', 'flow.* events recorded, by type', ['type']),
    drift: counter('cxone_fleet_flow_drift_total', 'Flow changes in CXone the fleet did not cause, by event type', ['type']),
    buildSeconds: histogramOnce(registry, {
      name: 'cxone_fleet_flow_build_seconds',
      help: 'Time from the first validation of a publish to its recorded revision',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    }),
  };
}

export type FlowMetrics = ReturnType<typeof createFlowMetrics>;

/** One validation's figures: the result and every problem by code. */
export function countValidation(m: FlowMetrics | undefined, problems: readonly FlowProblem[], passed: boolean, where: 'request' | 'worker'): void {
  if (!m) return;
  m.validations.inc({ result: passed ? 'passed' : 'failed', where });
  for (const p of problems) m.problems.inc({ code: p.code, severity: p.severity });
}
