#!/usr/bin/env node
// A local Redis Cluster for tests, benches and the chaos suite: 3 masters and 3 replicas
// from Debian's redis-server, on loopback ports base..base+5 (cluster bus on port+10000).
//
//   node scripts/redis-cluster.mjs start [--base-port 7000] [--dir D]
//     Starts the six nodes (each with AOF on, in D/<port>), creates the cluster once,
//     waits until every node says cluster_state:ok and every replica is in sync, then prints
//     REDIS_CLUSTER_NODES=127.0.0.1:7000,...  Idempotent: nodes that already run are left
//     alone, nodes that were killed (e.g. a test killed a master) are restarted from their
//     own nodes.conf and rejoin, as replicas of whoever was promoted meanwhile.
//   node scripts/redis-cluster.mjs stop [--base-port 7000] [--dir D]
//     Stops every node started from D and removes D.
//   node scripts/redis-cluster.mjs status [--base-port 7000] [--dir D]
//     One line per node (port, pid, role, cluster_state); exit 0 only when all six are ok.
//
// cluster-node-timeout is 3000 ms: a killed master is flagged failing after ~3 s and its
// replica is promoted ~1 s later (election delay 500 ms + random 0-500 ms), so a failover
// takes about 4-5 s here. Production defaults to 15000 ms (a 15-20 s failover); the fleet's
// cluster options wait out up to 30 s (docs/adr/0005-cluster-failover.md).
//
// Exit codes: 0 ok, 1 not ok / failed, 2 usage.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_COUNT = 6;
export const NODE_TIMEOUT_MS = 3000;
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const CLUSTER_OK_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export function clusterLayout({ basePort = 7000, dir } = {}) {
  if (!Number.isInteger(basePort) || basePort < 1 || basePort + NODE_COUNT - 1 + 10000 > 65535) {
    throw new Error(`--base-port: ${basePort} is not a port whose six nodes and cluster bus (port+10000) fit below 65536`);
  }
  const root = resolve(dir ?? join(tmpdir(), `cxf-redis-cluster-${basePort}`));
  const ports = Array.from({ length: NODE_COUNT }, (_, i) => basePort + i);
  return { root, ports, nodes: ports.map((p) => `${HOST}:${p}`) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** redis-cli against one node; resolves with stdout, or undefined when the node does not answer. */
function cli(port, args, timeoutMs = 2000) {
  return new Promise((res) => {
    execFile('redis-cli', ['-h', HOST, '-p', String(port), ...args], { timeout: timeoutMs }, (err, stdout) => res(err ? undefined : stdout));
  });
}

function parseInfo(text) {
  const out = {};
  for (const line of (text ?? '').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

function readPid(root, port) {
  const file = join(root, String(port), 'redis.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** What answers on `port`: nothing, one of our nodes (its dir is ours), or a foreign server. */
async function probe(root, port) {
  const reply = await cli(port, ['config', 'get', 'dir']);
  if (reply === undefined) return 'free';
  const dir = reply.split(/\r?\n/)[1]?.trim();
  return dir === join(root, String(port)) ? 'ours' : 'foreign';
}

function startNode(root, port) {
  const dir = join(root, String(port));
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port', String(port),
    '--bind', HOST,
    '--daemonize', 'yes',
    '--dir', dir,
    '--pidfile', join(dir, 'redis.pid'),
    '--logfile', join(dir, 'redis.log'),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
    '--appendonly', 'yes',
    '--save', '',
  ];
  const r = spawnSync('redis-server', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run redis-server (apt-get install redis-server): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`redis-server on port ${port} refused to start: ${r.stderr || r.stdout}`);
}

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await sleep(200);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms${typeof last === 'string' ? ` (${last})` : ''}`);
}

/** One node's view: role, cluster state, how many nodes it knows and, for a replica, its link. */
async function nodeState(port) {
  const [cinfo, repl] = await Promise.all([cli(port, ['cluster', 'info']), cli(port, ['info', 'replication'])]);
  if (cinfo === undefined || repl === undefined) return { port, up: false };
  const c = parseInfo(cinfo);
  const r = parseInfo(repl);
  return {
    port,
    up: true,
    state: c.cluster_state,
    knownNodes: Number(c.cluster_known_nodes),
    slotsAssigned: Number(c.cluster_slots_assigned),
    role: r.role,
    linkUp: r.role !== 'slave' || r.master_link_status === 'up',
  };
}

function healthy(s) {
  return s.up && s.state === 'ok' && s.knownNodes === NODE_COUNT && s.slotsAssigned === 16384 && s.linkUp;
}

export async function clusterStatus(opts = {}) {
  const { root, ports, nodes } = clusterLayout(opts);
  const states = await Promise.all(ports.map((p) => nodeState(p)));
  const masters = states.filter((s) => s.up && s.role === 'master').length;
  return { root, nodes, states, ok: states.every(healthy) && masters === NODE_COUNT / 2 };
}

export async function startCluster(opts = {}) {
  const { root, ports, nodes } = clusterLayout(opts);
  for (const port of ports) {
    const who = await probe(root, port);
    if (who === 'foreign') throw new Error(`port ${port} answers as a Redis that is not this cluster's (dir ${root}); pick another --base-port`);
  }
  mkdirSync(root, { recursive: true });
  for (const port of ports) {
    if ((await probe(root, port)) === 'free') startNode(root, port);
  }
  for (const port of ports) {
    await waitFor(`redis-server on port ${port} answering PING (log: ${join(root, String(port), 'redis.log')})`, START_TIMEOUT_MS, async () =>
      (await cli(port, ['ping']))?.trim() === 'PONG',
    );
  }
  // Fresh nodes know no slots; a restarted node keeps its nodes.conf and rejoins by itself.
  const first = parseInfo(await cli(ports[0], ['cluster', 'info']));
  if (Number(first.cluster_known_nodes) <= 1 && Number(first.cluster_slots_assigned) === 0) {
    const r = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '1', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: CLUSTER_OK_TIMEOUT_MS,
    });
    if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stderr || r.stdout}`);
  }
  await waitFor('cluster_state:ok with 3 masters and 3 replicas in sync on every node', CLUSTER_OK_TIMEOUT_MS, async () => {
    const s = await clusterStatus(opts);
    if (s.ok) return true;
    return s.states.map((n) => `${n.port}:${n.up ? `${n.role}/${n.state}/${n.knownNodes}/${n.linkUp ? 'in-sync' : 'syncing'}` : 'down'}`).join(' ');
  });
  return { root, nodes };
}

export async function stopCluster(opts = {}) {
  const { root, ports } = clusterLayout(opts);
  const pids = [];
  for (const port of ports) {
    const pid = readPid(root, port);
    if (pid !== undefined && alive(pid) && (await probe(root, port)) !== 'foreign') {
      process.kill(pid, 'SIGTERM');
      pids.push(pid);
    }
  }
  await waitFor('every node exited after SIGTERM', STOP_TIMEOUT_MS, async () => pids.every((p) => !alive(p)) || `${pids.filter(alive).join(',')} still running`).catch(
    () => {
      for (const p of pids.filter(alive)) process.kill(p, 'SIGKILL');
    },
  );
  rmSync(root, { recursive: true, force: true });
  return { root, stopped: pids.length };
}

function parseArgs(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--base-port') {
      const v = argv[++i];
      if (!/^\d+$/.test(v ?? '')) throw new Error(`--base-port: expected a port number, got ${v ?? 'nothing'}`);
      opts.basePort = Number(v);
    } else if (a === '--dir') {
      if (!argv[i + 1]) throw new Error('--dir: expected a directory');
      opts.dir = argv[++i];
    } else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const usage = 'usage: redis-cluster.mjs start|stop|status [--base-port 7000] [--dir D]';
  let opts;
  try {
    opts = parseArgs(rest);
    clusterLayout(opts);
  } catch (err) {
    console.error(`redis-cluster: ${err.message}\n${usage}`);
    return 2;
  }
  if (command === 'start') {
    const { nodes } = await startCluster(opts);
    console.log(`REDIS_CLUSTER_NODES=${nodes.join(',')}`);
    return 0;
  }
  if (command === 'stop') {
    const { root, stopped } = await stopCluster(opts);
    console.error(`redis-cluster: stopped ${stopped} node(s), removed ${root}`);
    return 0;
  }
  if (command === 'status') {
    const s = await clusterStatus(opts);
    for (const n of s.states) {
      const pid = readPid(s.root, n.port);
      console.log(n.up ? `${n.port} pid=${pid ?? '?'} ${n.role} cluster_state=${n.state} known_nodes=${n.knownNodes}${n.linkUp ? '' : ' replica-syncing'}` : `${n.port} down`);
    }
    console.log(s.ok ? `REDIS_CLUSTER_NODES=${s.nodes.join(',')}` : 'redis-cluster: not ok');
    return s.ok ? 0 : 1;
  }
  console.error(`redis-cluster: ${command ? `unknown command ${command}` : 'no command'}\n${usage}`);
  return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`redis-cluster: ${err.message}`);
      process.exit(1);
    },
  );
}
