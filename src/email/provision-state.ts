// The record of one channel's provisioning, in one Redis hash: what exists in CXone
// (channelId, one id per rule) and the progress `email status` shows. The provision job
// (a step job, see provision-processor.ts) writes it at each step and reads it to skip
// what exists already, which is what makes a re-run or a crash harmless.
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
  /** Activation polls (GETs of the channel) of the current request. */
  polls: number;
  cxoneState?: string | undefined;
  /** When the provision job gives up (its step-job deadline). */
  deadline?: number | undefined;
  activatedAt?: number | undefined;
  rules: Record<string, string>;
  rulesTotal: number;
  lastError?: string | undefined;
  requestedAt?: number | undefined;
  updatedAt?: number | undefined;
}

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
    polls: num(h.polls) ?? 0,
    cxoneState: h.cxoneState,
    deadline: num(h.deadline),
    activatedAt: num(h.activatedAt),
    rules,
    rulesTotal: num(h.rulesTotal) ?? 0,
    lastError: h.lastError,
    requestedAt: num(h.requestedAt),
    updatedAt: num(h.updatedAt),
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

    /**
     * A provision request. Keeps what exists in CXone; a failed or finished channel goes
     * back to queued (asking again is how an admin retries a failure).
     */
    async request(name: string, specKey: string, rulesTotal: number): Promise<ProvisionState> {
      const key = keys.channel(name);
      const current = parse(await deps.redis.hgetall(key));
      const fields: Record<string, string | number> = { name, specKey, rulesTotal, requestedAt: now() };
      if (!current || current.step === 'failed' || current.step === 'done') Object.assign(fields, { step: 'queued', polls: 0 });
      if (current?.step === 'failed') await deps.redis.hdel(key, 'lastError', 'cxoneState', 'deadline', ...(current.activation === 'failed' ? ['activation'] : []));
      await set(name, fields);
      await deps.redis.hset(keys.channels(), name, key);
      return parse(await deps.redis.hgetall(key))!;
    },

    async setStep(name: string, step: ProvisionStep, fields: Record<string, string | number> = {}) {
      await set(name, { ...fields, step });
    },

    async setChannel(name: string, channelId: string, created: boolean) {
      await set(name, { channelId, channelCreated: created ? '1' : '0' });
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
