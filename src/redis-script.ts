// Lua scripts run by SHA (EVALSHA, falling back to EVAL once per connection), in plain
// calls and in pipelines alike, via ioredis's defineCommand. Sending the whole script
// text with every EVAL costs bandwidth and a hash per call on the hot path.
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
  return {
    async run(redis, keys, args) {
      ensure(redis);
      return (await (redis as unknown as Callable)[name]!(...argv(keys, args))) as R;
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
