// Step states of one channel's provisioning, in one Redis hash, so any worker can pick up
// where another stopped: created (channelId), activation (pending|active|failed, polls,
// run, deadline), rules (one id per rule name), done. Every writer only moves forward;
// re-running a step that is recorded is skipped, which is what makes a crash harmless.
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../redis.ts';
import { emailKeys } from './keys.ts';

export const PROVISION_STEPS = ['queued', 'creating', 'activating', 'rules', 'done', 'failed'] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];
export type ActivationState = 'pending' | 'active' | 'failed';

export interface ProvisionState {
  name: string;
  specKey: string;
  step: ProvisionStep;
  channelId?: string | undefined;
  /** Whether this fleet created the channel (false: it existed already). */
  channelCreated?: boolean | undefined;
  activation?: ActivationState | undefined;
  /** Activation attempts (a re-provision after a failure starts run + 1). */
  run: number;
  polls: number;
  cxoneState?: string | undefined;
  /** Unique per activation clock: poll job ids carry it, so old jobs never collide. */
  activationId?: string | undefined;
  activationStartedAt?: number | undefined;
  deadline?: number | undefined;
  activatedAt?: number | undefined;
  rules: Record<string, string>;
  rulesTotal: number;
  lastError?: string | undefined;
  requestedAt?: number | undefined;
  updatedAt?: number | undefined;
  /** Options of the last request, for the steps that run after activation. */
  options: ProvisionOptions;
}

export interface ProvisionOptions {
  pollBaseMs: number;
  pollMaxMs: number;
  activationTimeoutMs: number;
  healthEveryMs: number;
}

export const DEFAULT_PROVISION_OPTIONS: ProvisionOptions = {
  pollBaseMs: 2_000,
  pollMaxMs: 60_000,
  activationTimeoutMs: 10 * 60_000,
  healthEveryMs: 15 * 60_000,
};

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

function parse(h: Record<string, string>): ProvisionState | undefined {
  if (!h.name) return undefined;
  const rules: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('rule.')) rules[k.slice(5)] = v;
  return {
    name: h.name,
    specKey: h.specKey ?? '',
    step: (h.step as ProvisionStep | undefined) ?? 'queued',
    channelId: h.channelId,
    channelCreated: h.channelCreated === undefined ? undefined : h.channelCreated === '1',
    activation: h.activation as ActivationState | undefined,
    run: num(h.run) ?? 1,
    polls: num(h.polls) ?? 0,
    cxoneState: h.cxoneState,
    activationId: h.activationId,
    activationStartedAt: num(h.activationStartedAt),
    deadline: num(h.deadline),
    activatedAt: num(h.activatedAt),
    rules,
    rulesTotal: num(h.rulesTotal) ?? 0,
    lastError: h.lastError,
    requestedAt: num(h.requestedAt),
    updatedAt: num(h.updatedAt),
    options: h.options ? { ...DEFAULT_PROVISION_OPTIONS, ...(JSON.parse(h.options) as Partial<ProvisionOptions>) } : DEFAULT_PROVISION_OPTIONS,
  };
}

export function createProvisionState(deps: { redis: RedisConnection; prefix: string; now?: () => number }) {
  const keys = emailKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  const set = async (name: string, fields: Record<string, string | number>) => {
    await deps.redis.hset(keys.channel(name), { ...fields, updatedAt: now() });
  };

  return {
    async get(name: string): Promise<ProvisionState | undefined> {
      return parse(await deps.redis.hgetall(keys.channel(name)));
    },

    async list(): Promise<string[]> {
      return (await deps.redis.hkeys(keys.channels())).sort();
    },

    async nameOf(channelId: string): Promise<string | undefined> {
      return (await deps.redis.hget(keys.channelById(), channelId)) ?? undefined;
    },

    /**
     * A provision request. Keeps every recorded step; only a failed activation is reset
     * (a new run with a new deadline), since asking again is how an admin retries it.
     */
    async request(name: string, specKey: string, rulesTotal: number, options: ProvisionOptions): Promise<ProvisionState> {
      const key = keys.channel(name);
      const current = parse(await deps.redis.hgetall(key));
      const fields: Record<string, string | number> = { name, specKey, rulesTotal, requestedAt: now(), options: JSON.stringify(options) };
      if (!current) Object.assign(fields, { step: 'queued', run: 1, polls: 0 });
      else if (current.step === 'failed' || current.activation === 'failed') {
        Object.assign(fields, { step: 'queued', run: current.run + 1, polls: 0, activation: 'pending' });
        await deps.redis.hdel(key, 'activationId', 'activationStartedAt', 'deadline', 'lastError', 'cxoneState');
      } else if (current.step === 'done') fields.step = 'queued';
      await set(name, fields);
      await deps.redis.hset(keys.channels(), name, key);
      return parse(await deps.redis.hgetall(key))!;
    },

    async setStep(name: string, step: ProvisionStep) {
      await set(name, { step });
    },

    async setChannel(name: string, channelId: string, created: boolean) {
      await set(name, { channelId, channelCreated: created ? '1' : '0', step: 'activating' });
      await deps.redis.hset(keys.channelById(), channelId, name);
    },

    /** Starts the activation clock once per run; later calls return the same clock. */
    async startActivation(name: string, timeoutMs: number): Promise<{ run: number; activationId: string; startedAt: number; deadline: number }> {
      const key = keys.channel(name);
      const startedAt = now();
      // HSETNX: two provision jobs racing start one clock, not two.
      await deps.redis.hsetnx(key, 'activationId', randomBytes(4).toString('hex'));
      await deps.redis.hsetnx(key, 'activationStartedAt', String(startedAt));
      await deps.redis.hsetnx(key, 'deadline', String(startedAt + timeoutMs));
      await deps.redis.hsetnx(key, 'activation', 'pending');
      const s = parse(await deps.redis.hgetall(key))!;
      return { run: s.run, activationId: s.activationId!, startedAt: s.activationStartedAt ?? startedAt, deadline: s.deadline ?? startedAt + timeoutMs };
    },

    async recordPoll(name: string, cxoneState: string) {
      await deps.redis.hincrby(keys.channel(name), 'polls', 1);
      await set(name, { cxoneState });
    },

    async activate(name: string, cxoneState: string) {
      await set(name, { activation: 'active', activatedAt: now(), cxoneState, step: 'rules' });
    },

    async fail(name: string, message: string, activationFailed: boolean) {
      await set(name, { step: 'failed', lastError: message, ...(activationFailed ? { activation: 'failed' } : {}) });
    },

    async setRule(name: string, ruleName: string, id: string) {
      await set(name, { [`rule.${ruleName}`]: id });
    },

    async done(name: string) {
      await set(name, { step: 'done' });
      await deps.redis.hdel(keys.channel(name), 'lastError');
    },
  };
}

export type ProvisionStateStore = ReturnType<typeof createProvisionState>;

/** One line for a progress display: "activating (PENDING, 3 polls)". */
export function describeState(s: ProvisionState): string {
  const parts: string[] = [s.step];
  if (s.step === 'activating' && s.activation) parts.push(`(${s.cxoneState ?? s.activation}, ${s.polls} polls)`);
  if (s.step === 'rules' || s.step === 'done') parts.push(`rules ${Object.keys(s.rules).length}/${s.rulesTotal}`);
  if (s.step === 'failed' && s.lastError) parts.push(`: ${s.lastError}`);
  return parts.join(' ');
}
