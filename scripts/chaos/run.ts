// npm run chaos: a batch through 2 worker processes against the simulator, once per fault
// (scripts/chaos/rounds.ts), each round's figures printed and checked; exits 1 if any fails.
//   CHAOS_MESSAGES=3000   messages per round
//   CHAOS_ROUNDS=1,3,cxone-5xx   which rounds (numbers or names); default all 8
//   CHAOS_RPS=200         the simulator's per-account limit and the fleet's budget
//   CHAOS_APPENDFSYNC=always     the private Redis's AOF fsync policy (default everysec, as deployed)
// Ports: a private redis-server on CHAOS_REDIS_PORT (6393), the cluster on CHAOS_CLUSTER_PORT..+5 (7100).
import { printSummary, runSuite } from './suite.ts';

const started = Date.now();
const options = {
  rounds: (process.env.CHAOS_ROUNDS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  messages: Number(process.env.CHAOS_MESSAGES ?? 3000),
  rps: Number(process.env.CHAOS_RPS ?? 200),
  redisPort: Number(process.env.CHAOS_REDIS_PORT ?? 6393),
  clusterBasePort: Number(process.env.CHAOS_CLUSTER_PORT ?? 7100),
  appendfsync: process.env.CHAOS_APPENDFSYNC === 'always' ? ('always' as const) : ('everysec' as const),
};
console.log(`chaos: ${options.messages} messages a round at ${options.rps} req/s; private Redis AOF appendfsync ${options.appendfsync}`);
const results = await runSuite(options);
printSummary(results);
const failed = results.filter((r) => !r.passed).map((r) => r.round);
console.log(`\nchaos: ${results.length - failed.length}/${results.length} rounds passed in ${Math.round((Date.now() - started) / 1000)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
