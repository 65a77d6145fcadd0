// A preview activation over a large list: CONTACTS generated contacts (CONTACTS / 250 pages),
// CONTACTS / 2 suppressions (half in national format), a simulator limited to LIMIT
// requests/s, two worker processes. Prints figures only:
// - bound / wall: the rate limit is the physical limit, so the bound is (requests the run
//   made) / LIMIT; a run that keeps pace with the limit is close to 1 (target >= 0.90);
// - worker RSS growth over the rounds (target <= 150 MB);
// - Redis bytes per eligible contact: the eligible set, and everything the run keeps
//   (eligible set, excluded hash, record) over the eligible count (target <= 100);
// - 429s answered by the simulator (target 0).
//   npm run bench:preview      (CONTACTS=100000 LIMIT=100 ROUNDS=3 by default)
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { createProducerContext } from '../src/producer-context.ts';
import { previewKeys } from '../src/preview/keys.ts';
import { createPreviewServices } from '../src/preview/services.ts';
import { waitForReady } from '../src/redis.ts';
import { startSimulatorProcess } from '../src/simulator/process.ts';
import type { OutboundStats } from '../src/simulator/outbound.ts';
import { benchPrefix, deletePrefix, REDIS_ENV, rssMiB, spawnWorkers, stopWorkers, waitUntilServing } from './lib/fleet-bench.ts';

const CONTACTS = Number(process.env.CONTACTS ?? 100_000);
const LIMIT = Number(process.env.LIMIT ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const LIST = '0b5e3c1a-8f2d-4c6b-9a7e-2d1f0c3b4a5e';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const sim = await startSimulatorProcess({ rps: LIMIT });
  const prefix = benchPrefix('preview');
  const env = { ...REDIS_ENV, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, CXONE_RATE_LIMIT_RPS: String(LIMIT), PUBLIC_URL: 'http://127.0.0.1:9' };
  const configure = async (patch: Record<string, unknown>) => {
    const res = await fetch(`${sim.url}/_sim/preview/config`, { method: 'POST', body: JSON.stringify(patch) });
    if (!res.ok) throw new Error(`simulator preview config: HTTP ${res.status} ${await res.text()}`);
  };
  const previewStats = async () => (await sim.stats()) as unknown as { preview: OutboundStats; rateLimited?: number };
  await configure({
    contactLists: { [LIST]: { count: CONTACTS, phoneFormats: ['e164', 'national'], regions: ['NA-EAST'] } },
    suppressions: { fromList: { listId: LIST, every: 2 } },
  });
  const workers = await spawnWorkers(2, env, ['--queues', 'preview-activation']);
  const ctx = createProducerContext(loadConfig(env), { role: 'bench', logger: createLogger({ level: 'warn' }) });
  await waitForReady(ctx.redis);
  const svc = createPreviewServices(ctx);
  try {
    await waitUntilServing(workers);
    const pids = workers.map((w) => w.process.pid!);
    const rssBefore = await rssMiB(pids);
    const rows: { wall: number; bound: number; requests: number; perEligible: number; setPerEligible: number; eligible: number; r429: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const campaignId = `bench-${round}`;
      await configure({ campaigns: [{ id: campaignId }] });
      const before = await previewStats();
      const check = svc.validateObject({ campaignId, contactListId: LIST, queueId: 'q-outbound', deadlineMs: 3_600_000 });
      if (!check.ok) throw new Error(JSON.stringify(check.errors));
      const t = performance.now();
      const { activationId } = await svc.activate(check.value);
      const end = await svc.wait(activationId, 3_600_000, undefined, 20);
      const wall = (performance.now() - t) / 1000;
      if (end?.status !== 'active') throw new Error(`round ${round}: ${end?.errorCode ?? ''} ${end?.error ?? 'no final state'}`);
      const after = await previewStats();
      const d = (k: keyof OutboundStats) => (after.preview[k] as number) - (before.preview[k] as number);
      const requests = d('contactPages') + d('suppressionPages') + d('campaignListPages') + d('campaignGets') + d('puts') + d('webhooksRegistered') + d('webhookConflicts');
      const keys = previewKeys(prefix);
      const mem = async (key: string) => Number((await ctx.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
      const setBytes = await mem(keys.eligible(activationId));
      const total = setBytes + (await mem(keys.excluded(activationId))) + (await mem(keys.activation(activationId)));
      const eligible = end.counts.eligible;
      rows.push({ wall, bound: requests / LIMIT, requests, perEligible: total / eligible, setPerEligible: setBytes / eligible, eligible, r429: (after.rateLimited ?? 0) - (before.rateLimited ?? 0) });
      console.log(
        `round ${round}: ${requests} requests (${d('contactPages')} contact pages, ${d('suppressionPages')} suppression pages), wall ${wall.toFixed(2)} s, bound ${(requests / LIMIT).toFixed(2)} s, ` +
          `bound/wall ${(requests / LIMIT / wall).toFixed(3)}, eligible ${eligible}, 429s ${rows.at(-1)!.r429}`,
      );
    }
    const rssAfter = await rssMiB(pids);
    const growth = Math.max(...rssAfter.map((r, i) => r - rssBefore[i]!));
    console.log(`\npreview activation, ${CONTACTS} contacts, ${CONTACTS / 2} suppressions, simulator at ${LIMIT} requests/s, 2 workers, ${ROUNDS} rounds (medians)`);
    console.log(`  bound / wall:                 ${median(rows.map((r) => r.bound / r.wall)).toFixed(3)}   (target >= 0.90; bound = requests / limit)`);
    console.log(`  wall time:                    ${median(rows.map((r) => r.wall)).toFixed(2)} s for ${median(rows.map((r) => r.requests))} requests`);
    console.log(`  worker RSS growth:            ${growth} MB (before ${rssBefore.join('/')} MB, after ${rssAfter.join('/')} MB; target <= 150)`);
    console.log(`  Redis bytes/eligible contact: ${median(rows.map((r) => r.setPerEligible)).toFixed(1)} (eligible set), ${median(rows.map((r) => r.perEligible)).toFixed(1)} (set + excluded hash + record; target <= 100)`);
    console.log(`  429s:                         ${rows.reduce((a, r) => a + r.r429, 0)} (target 0)`);
  } finally {
    await stopWorkers(workers);
    await ctx.close();
    await sim.stop();
    await deletePrefix(prefix);
  }
}

await main();
