// Where each account of the accounts file lives: its prefix, the cluster slot its hash tag
// hashes to, and (on a Redis Cluster) the master that serves that slot now. Two accounts
// never share a slot (config-accounts.ts refuses it), but two slots may share a master:
// this shows it, and `redis-cli --cluster reshard` moves an account's one slot elsewhere.
import { Cluster } from 'ioredis';
import type { Config } from './config.ts';
import type { RedisConnection } from './redis.ts';
import { keySlot } from './redis-slot.ts';

export interface AccountPlacement {
  account: string;
  prefix: string;
  slot: number;
  /** host:port of the master serving the slot; undefined on a single Redis. */
  master: string | undefined;
  baseUrl: string;
  clientId: string;
}

/** The master of each slot range, from CLUSTER SLOTS. */
export async function slotMasters(conn: Cluster): Promise<(slot: number) => string | undefined> {
  const ranges = await conn.cluster('SLOTS');
  return (slot) => {
    // Each range: start, end, then its master first and its replicas.
    const master = ranges.find(([start, end]) => slot >= start && slot <= end)?.[2];
    return master ? `${master[0]}:${master[1]}` : undefined;
  };
}

export async function accountPlacements(configs: readonly Config[], conn: RedisConnection): Promise<AccountPlacement[]> {
  const masterOf = conn instanceof Cluster ? await slotMasters(conn) : () => undefined;
  return configs.map((c) => {
    const slot = keySlot(c.redis.prefix);
    return { account: c.cxone.accountId, prefix: c.redis.prefix, slot, master: masterOf(slot), baseUrl: c.cxone.baseUrl, clientId: c.cxone.clientId };
  });
}
