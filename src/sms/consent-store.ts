// Per-account SMS consent in Redis: an opt-in set and an opt-out set. An opt-out always
// wins, whenever it arrives: intake checks both and the send worker checks the opt-out
// again just before sending.
import { fleetKey, type RedisConnection } from '../redis.ts';

export type ConsentVerdict = 'opted-in' | 'opted-out' | 'unknown';

export interface ConsentStore {
  optIn(numbers: string[]): Promise<number>;
  optOut(numbers: string[]): Promise<number>;
  /** Forgets a number in both sets. */
  remove(numbers: string[]): Promise<number>;
  verdicts(numbers: string[]): Promise<ConsentVerdict[]>;
  isOptedOut(number: string): Promise<boolean>;
  /** The opt-out set, for a script that reads it with other state (the send's pre-check). */
  readonly optOutKey: string;
  list(kind: 'in' | 'out', cursor?: string, count?: number): Promise<{ cursor: string; numbers: string[] }>;
  counts(): Promise<{ optedIn: number; optedOut: number }>;
}

export function createConsentStore(deps: { redis: RedisConnection; prefix: string; accountId: string }): ConsentStore {
  const inKey = fleetKey(deps.prefix, 'consent', deps.accountId, 'in');
  const outKey = fleetKey(deps.prefix, 'consent', deps.accountId, 'out');
  const CHUNK = 5_000;
  const chunks = (a: string[]) => Array.from({ length: Math.ceil(a.length / CHUNK) }, (_, i) => a.slice(i * CHUNK, (i + 1) * CHUNK));

  return {
    optOutKey: outKey,
    async optIn(numbers) {
      let n = 0;
      for (const c of chunks(numbers)) {
        // Opting in again after an opt-out is an explicit new consent.
        const res = await deps.redis.multi().sadd(inKey, ...c).srem(outKey, ...c).exec();
        n += Number(res?.[0]?.[1] ?? 0);
      }
      return n;
    },
    async optOut(numbers) {
      let n = 0;
      for (const c of chunks(numbers)) {
        const res = await deps.redis.multi().sadd(outKey, ...c).srem(inKey, ...c).exec();
        n += Number(res?.[0]?.[1] ?? 0);
      }
      return n;
    },
    async remove(numbers) {
      let n = 0;
      for (const c of chunks(numbers)) {
        const res = await deps.redis.multi().srem(inKey, ...c).srem(outKey, ...c).exec();
        n += Number(res?.[0]?.[1] ?? 0) + Number(res?.[1]?.[1] ?? 0);
      }
      return n;
    },
    async verdicts(numbers) {
      if (numbers.length === 0) return [];
      const [ins, outs] = await Promise.all([deps.redis.smismember(inKey, ...numbers), deps.redis.smismember(outKey, ...numbers)]);
      return numbers.map((_, i) => (outs[i] ? 'opted-out' : ins[i] ? 'opted-in' : 'unknown'));
    },
    async isOptedOut(number) {
      return (await deps.redis.sismember(outKey, number)) === 1;
    },
    async list(kind, cursor = '0', count = 1000) {
      const [next, numbers] = await deps.redis.sscan(kind === 'in' ? inKey : outKey, cursor, 'COUNT', count);
      return { cursor: next, numbers };
    },
    async counts() {
      const [optedIn, optedOut] = await Promise.all([deps.redis.scard(inKey), deps.redis.scard(outKey)]);
      return { optedIn, optedOut };
    },
  };
}
