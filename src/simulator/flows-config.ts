// Runtime knobs of the flows module, set through sim.flows.configure() or
// POST /_sim/flows/config. Sub-keys merge, so a test can set the outcome and a fault in
// separate calls. The one-shot fault counters are consumed as requests arrive.
import { z } from 'zod';

export const FLOW_JOB_OUTCOMES = ['completed', 'failed', 'never'] as const;
export type FlowJobOutcome = (typeof FLOW_JOB_OUTCOMES)[number];

/** Server-only rules the fleet's checker does not know: a client/server disagreement on purpose. */
export const EXTRA_SYNTAX_RULES = ['description-required', 'ids-snake-case', 'no-voicemail'] as const;

const count = z.number().int().min(0).max(1_000_000);
const ms = z.number().int().min(0).max(3_600_000);

export const flowsConfigSchema = z
  .object({
    /** 'polls': pendingPolls then runningPolls GETs; 'time': pendingMs then runningMs on the simulator clock. */
    advanceBy: z.enum(['polls', 'time']).optional(),
    pendingPolls: count.optional(),
    runningPolls: count.optional(),
    pendingMs: ms.optional(),
    runningMs: ms.optional(),
    outcome: z.enum(FLOW_JOB_OUTCOMES).optional(),
    /** Outcome per flow name, over `outcome`. */
    outcomeByName: z.record(z.string().min(1), z.enum(FLOW_JOB_OUTCOMES)).optional(),
    /** errors[] of a job failed by the outcome knob. */
    jobErrors: z.array(z.string().min(1)).min(1).max(100).optional(),
    /** Longest entry path (transitions) the platform executes; over it POST answers 504 (CF 411). */
    maxExecutionDepth: z.number().int().min(1).max(100_000).nullable().optional(),
    extraSyntaxRules: z.array(z.enum(EXTRA_SYNTAX_RULES)).optional(),
    /** The seed accepts 201 or 200; some platforms answer 202 for an accepted job. */
    createStatus: z.union([z.literal(200), z.literal(201), z.literal(202)]).optional(),
    /** The next n POST /api/flows answer failStatus before creating anything. */
    failNextCreates: count.optional(),
    /** The next n POST /api/flows create their job, then lose the response (socket destroyed). */
    dropNextCreateResponses: count.optional(),
    /** The next n POST /api/flows answer 429 (with Retry-After: throttleRetryAfterS, when set) before creating anything. */
    throttleNextCreates: count.optional(),
    throttleRetryAfterS: z.number().int().min(0).max(3600).nullable().optional(),
    /** The next n GET /api/jobs/{id} answer failStatus without counting as a poll. */
    failNextPolls: count.optional(),
    failStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
    events: z
      .object({
        delayMs: ms.optional(),
        maxAttempts: z.number().int().min(1).max(20).optional(),
        retryDelayMs: ms.optional(),
        timeoutMs: z.number().int().min(1).max(600_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FlowsConfig = z.output<typeof flowsConfigSchema>;

export const FLOWS_DEFAULTS = {
  advanceBy: 'polls',
  pendingPolls: 2,
  runningPolls: 2,
  pendingMs: 1000,
  runningMs: 1000,
  outcome: 'completed',
  jobErrors: ['flow compilation failed'],
  createStatus: 201,
  failStatus: 503,
} as const;

export const EVENT_DEFAULTS = { delayMs: 20, maxAttempts: 3, retryDelayMs: 100, timeoutMs: 5000 } as const;

export function mergeFlowsConfig(current: FlowsConfig, patch: FlowsConfig): FlowsConfig {
  return { ...current, ...patch, events: { ...current.events, ...patch.events } };
}
