// Prometheus metrics. One Registry per process, created by the entry point and passed as a
// dependency (no prom-client global), so tests can create as many as they like.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(opts: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}) {
  const registry = new Registry();
  if (opts.labels) registry.setDefaultLabels(opts.labels);
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'cxone_fleet_' });
  const r = [registry];

  return {
    registry,
    jobsTotal: new Counter({
      name: 'cxone_fleet_jobs_total',
      help: 'Jobs finished by queue and outcome (completed, retry, unrecoverable, rate_limited, redis_unavailable, waiting)',
      labelNames: ['queue', 'outcome'] as const,
      registers: r,
    }),
    stepWaits: new Counter({
      name: 'cxone_fleet_step_waits_total',
      help: 'Waits of step jobs (a delayed resume that spends no attempt) by queue and the step they resume at',
      labelNames: ['queue', 'step'] as const,
      registers: r,
    }),
    jobDuration: new Histogram({
      name: 'cxone_fleet_job_duration_seconds',
      help: 'Processor time per job attempt',
      labelNames: ['queue'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    cxoneCalls: new Counter({
      name: 'cxone_fleet_cxone_calls_total',
      help: 'CXone API calls by endpoint and HTTP status (0 = no response)',
      labelNames: ['endpoint', 'status'] as const,
      registers: r,
    }),
    cxoneLatency: new Histogram({
      name: 'cxone_fleet_cxone_call_duration_seconds',
      help: 'CXone API call latency by endpoint',
      labelNames: ['endpoint'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: r,
    }),
    cxoneRateLimited: new Counter({
      name: 'cxone_fleet_cxone_429_total',
      help: '429 Too Many Requests received from CXone',
      labelNames: ['account'] as const,
      registers: r,
    }),
    tokenRefreshes: new Counter({
      name: 'cxone_fleet_token_refreshes_total',
      help: 'OAuth tokens fetched by this process (fleet-wide single flight means few)',
      labelNames: ['account', 'result'] as const,
      registers: r,
    }),
    limiterWaitSeconds: new Histogram({
      name: 'cxone_fleet_limiter_wait_seconds',
      help: 'Time a CXone call waited for the fleet-wide rate limiter',
      labelNames: ['account'] as const,
      buckets: [0, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: r,
    }),
    limiterRebookings: new Counter({
      name: 'cxone_fleet_limiter_rebookings_total',
      help: 'Calls that reached their limiter slot too late and booked a fresh one instead of going out in a bunch',
      labelNames: ['account'] as const,
      registers: r,
    }),
    limiterRate: new Gauge({
      name: 'cxone_fleet_limiter_rate_rps',
      help: "The account's per-second rate as the limiter last booked it (adaptive: after 429 cuts and the climb since)",
      labelNames: ['account'] as const,
      registers: r,
    }),
    breakerState: new Gauge({
      name: 'cxone_fleet_breaker_open',
      help: '1 while the circuit breaker of an account is open',
      labelNames: ['account'] as const,
      registers: r,
    }),
    httpRequests: new Counter({
      name: 'cxone_fleet_http_requests_total',
      help: 'Ingress HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: r,
    }),
    httpLatency: new Histogram({
      name: 'cxone_fleet_http_request_duration_seconds',
      help: 'Ingress HTTP latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    webhooks: new Counter({
      name: 'cxone_fleet_webhooks_total',
      help: 'Webhooks by kind and result (accepted, duplicate, or the rejection reason)',
      labelNames: ['kind', 'result'] as const,
      registers: r,
    }),
    queueDepth: new Gauge({
      name: 'cxone_fleet_queue_jobs',
      help: 'Jobs per queue and state, sampled at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
