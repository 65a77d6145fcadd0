// Lua scripts run by SHA (EVALSHA, falling back to EVAL when Redis does not know the
// script yet), in plain calls and in pipelines alike. Sending the whole script text with
// every EVAL costs bandwidth and a hash per call on the hot path.
import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from './redis.ts';

type Arg = string | number;
type Callable = Record<string, (...args: Arg[]) => Promise<unknown>>;

export interface RedisScript<R> {
  run(redis: RedisConnection, keys: string[], args: Arg[]): Promise<R>;
  /** A pipeline that knows the script (ioredis copies commands into a pipeline when made). */
  pipeline(redis: RedisConnection): ChainableCommander;
  /** Queues the script on such a pipeline; its result comes with the pipeline's exec(). */
  queue(pipeline: ChainableCommander, keys: string[], args: Arg[]): void;
}

/** `numberOfKeys: 'varying'` for scripts whose key count changes per call. */
export function defineScript<R>(name: string, numberOfKeys: number | 'varying', lua: string): RedisScript<R> {
  const ensure = (redis: RedisConnection) => {
    if (typeof (redis as unknown as Callable)[name] !== 'function') {
      redis.defineCommand(name, numberOfKeys === 'varying' ? { lua } : { numberOfKeys, lua });
    }
  };
  const argv = (keys: string[], args: Arg[]): Arg[] => (numberOfKeys === 'varying' ? [keys.length, ...keys, ...args] : [...keys, ...args]);
  const sha = createHash('sha1').update(lua).digest('hex');
  return {
    // Plain EVALSHA/EVAL rather than the defined command: on an auto-pipelined connection a
    // command defined after the pending pipeline was made is missing from it, and ioredis
    // then loses track of that pipeline's replies (ioredis#1931); built-ins are always there.
    async run(redis, keys, args) {
      try {
        return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as R;
      } catch (err) {
        if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
        return (await redis.eval(lua, keys.length, ...keys, ...args)) as R;
      }
    },
    pipeline(redis) {
      ensure(redis);
      return redis.pipeline();
    },
    queue(pipeline, keys, args) {
      void (pipeline as unknown as Callable)[name]!(...argv(keys, args));
    },
  };
}
