// What serving one more CXone account costs (docs/adr/0006-accounts.md), two ways, with
// every queue's workers as `cxone-fleet worker` runs them:
//   in-process: one process builds a runtime and worker pool per account (design a);
//   processes:  one `cxone-fleet --account <id> worker` process per account (design b).
// Prints resident memory (RSS) and Redis connections after 1..ACCOUNTS accounts, and the
// cost of each account after the first. Connections are counted with CLIENT LIST, so give
// it a Redis of its own (anything else connected is counted as a steady offset):
//   redis-server --port 7200 --save '' --appendonly no --daemonize yes
//   REDIS_URL=redis://127.0.0.1:7200 npx tsx --expose-gc bench/accounts.bench.ts   (ACCOUNTS=3)
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { loadWorkerTable } from '../src/platform/modules.ts';
import { createRuntime } from '../src/runtime.ts';
import { resolveQueueSelection, startWorkerPool, type WorkerPool } from '../src/worker-pool.ts';
import { benchPrefix, deletePrefix, REDIS_URL, rssMiB, spawnWorkers, stopWorkers, waitUntilServing, type BenchWorker } from './lib/fleet-bench.ts';

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 3);
const MiB = 1024 * 1024;

const accountEnv = (i: number, prefix: string) => ({
  REDIS_URL,
  FLEET_PREFIX: prefix,
  CXONE_ACCOUNT_ID: `bench-${i}`,
  CXONE_BASE_URL: 'http://127.0.0.1:9',
  LOG_LEVEL: 'silent',
});

/** Connected clients once the count has held still for a second (workers connect lazily). */
async function settledClients(monitor: Redis): Promise<number> {
  let last = -1;
  for (let still = 0; still < 4; ) {
    await delay(250);
    const n = String(await monitor.client('LIST')).split('\n').filter(Boolean).length - 1;
    still = n === last ? still + 1 : 0;
    last = n;
  }
  return last;
}

const settleMemory = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await delay(100);
  }
};

interface Row {
  accounts: number;
  rssMb: number;
  connections: number;
}

async function inProcess(monitor: Redis, prefixes: string[]): Promise<Row[]> {
  const table = await loadWorkerTable();
  const keys = resolveQueueSelection(undefined, table);
  const logger = createLogger({ level: 'silent' });
  const pools: WorkerPool[] = [];
  await settleMemory();
  const base = { rss: process.memoryUsage().rss, clients: await settledClients(monitor) };
  const rows: Row[] = [];
  for (const [i, prefix] of prefixes.entries()) {
    const rt = createRuntime(loadConfig(accountEnv(i, prefix)), { role: 'worker', logger, metrics: createMetrics() });
    pools.push(startWorkerPool(rt, table, keys));
    const clients = await settledClients(monitor);
    await settleMemory();
    rows.push({ accounts: i + 1, rssMb: (process.memoryUsage().rss - base.rss) / MiB, connections: clients - base.clients });
  }
  for (const p of pools) await p.close();
  return rows;
}

async function processes(monitor: Redis, prefixes: string[]): Promise<Row[]> {
  const base = await settledClients(monitor);
  const workers: BenchWorker[] = [];
  const rows: Row[] = [];
  try {
    for (const [i, prefix] of prefixes.entries()) {
      const started = await spawnWorkers(1, accountEnv(i, prefix));
      workers.push(...started);
      await waitUntilServing(started);
      const clients = await settledClients(monitor);
      await delay(1_000); // start-up garbage settles
      const rss = await rssMiB(workers.map((w) => w.process.pid!));
      rows.push({ accounts: i + 1, rssMb: rss.reduce((a, b) => a + b, 0), connections: clients - base });
    }
  } finally {
    await stopWorkers(workers);
  }
  return rows;
}

function report(name: string, rows: Row[]): void {
  console.log(`\n${name}`);
  for (const r of rows) console.log(`  ${r.accounts} account(s): RSS ${r.rssMb.toFixed(1)} MiB, Redis connections ${r.connections}`);
  const first = rows[0]!;
  const last = rows.at(-1)!;
  if (rows.length > 1) {
    const extra = rows.length - 1;
    console.log(
      `  first account: ${first.rssMb.toFixed(1)} MiB, ${first.connections} connections; each further one: ` +
        `${((last.rssMb - first.rssMb) / extra).toFixed(1)} MiB, ${((last.connections - first.connections) / extra).toFixed(1)} connections`,
    );
  }
}

const monitor = new Redis(REDIS_URL);
const prefixes = Array.from({ length: ACCOUNTS }, (_, i) => benchPrefix(`acc${i}`));
try {
  if (!globalThis.gc) console.log('(run with --expose-gc for steadier in-process figures)');
  report('one process, a runtime and worker pool per account (in-process figures exclude the process itself)', await inProcess(monitor, prefixes));
  report('one `cxone-fleet worker` process per account (whole processes)', await processes(monitor, prefixes));
} finally {
  for (const p of prefixes) await deletePrefix(p);
  monitor.disconnect();
}
