// `cxone-fleet flow publish|status|revisions|diff|metrics|subscribe` as a user runs them
// (FL-E2E): child processes against real Redis (a private prefix) and the simulator over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server.ts';
import { runCli } from '../helpers/cli.ts';
import { killWorkers, spawnWorker } from '../helpers/worker-processes.ts';
import { createTestRedis, deleteKeysWithPrefix, REDIS_ENV, testPrefix } from '../helpers/redis.ts';
import { fixture, seedFlow } from '../fixtures/flows/build.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'flow-publish-cli-'));
const prefix = testPrefix('flcli');
let sim: RunningSimulator;
const SECRET = 'cli-flow-events-secret-0123';

beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => sim.reset());
afterAll(async () => {
  await killWorkers();
  await sim.close();
  const redis = createTestRedis();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  rmSync(tmp, { recursive: true, force: true });
});

const env = () => ({ ...REDIS_ENV, FLEET_PREFIX: prefix, CXONE_BASE_URL: sim.url, LOG_LEVEL: 'silent', CXONE_SECRET_FLOW_EVENTS: SECRET, FLOW_JOB_POLL_MS: '50' });
const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/flows/outbound-ivr.yaml');
const flow = (...args: string[]) => runCli(['flow', ...args], env());
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

// Each CLI run starts tsx in a child; on a loaded 2-core box that takes seconds.
describe('flow publish and friends', { timeout: 180_000 }, () => {
  it('publish of a bad flow prints every problem as `path: CODE message`, exits 1 and enqueues nothing', async () => {
    const r = await flow('publish', fixture('bad-five.json'), '--wait');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toContain('transitions[3].to_node: TRANSITION_TO_MISSING transition references missing to_node: dsiconnect');
    expect(lines(r.stderr)).toContain('nodes[5]: UNREACHABLE node orphan is unreachable from entry node start');
    const redis = createTestRedis();
    expect(await redis.keys(`${prefix}:flow-publish:*`)).toEqual([]);
    await redis.quit();
  });

  it('diff of two files lists the changes and exits 1; the same content exits 0', async () => {
    const b = seedFlow();
    b.description = 'v2';
    b.transitions = b.transitions.filter((t) => t.to_node !== 'schedule_callback');
    const file = path.join(tmp, 'v2.json');
    writeFileSync(file, JSON.stringify(b));
    const r = await flow('diff', fixture('seed-example.json'), file);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      '~ description: "Automated outbound flow with regulatory disclosures" -> "v2"',
      '- transition collect_input -> schedule_callback (input=2)',
    ]);
    const same = await flow('diff', fixture('seed-example.json'), fixture('seed-example.json'));
    expect(same.code).toBe(0);
    expect(same.stdout.trim()).toBe('no differences');
  });

  it('status of an unknown id or name exits 1 saying so; metrics start at zero', async () => {
    const r = await flow('status', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no publish with id nope and no published flow named "nope"');
    const m = await flow('metrics', '--json');
    expect(m.code).toBe(0);
    expect(JSON.parse(m.stdout)).toEqual({ total_builds: 0, successful_validations: 0, failed_validations: 0, total_latency_ms: 0 });
  });

  it('subscribe registers once (then "already registered"), by variable name; a variable outside the prefixes is refused', async () => {
    const url = 'http://127.0.0.1:9/webhooks/flows/events';
    const first = await flow('subscribe', '--url', url, '--secret-env', 'CXONE_SECRET_FLOW_EVENTS');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^registered: subscription \S+ for http:\/\/127\.0\.0\.1:9\/webhooks\/flows\/events \(flow\.created, flow\.deleted, flow\.updated\), signed with \$CXONE_SECRET_FLOW_EVENTS/);
    const again = await flow('subscribe', '--url', url, '--secret-env', 'CXONE_SECRET_FLOW_EVENTS');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^already registered: subscription /);
    expect(sim.stats().flows.subscriptions).toBe(1);
    const bad = await flow('subscribe', '--url', url, '--secret-env', 'REDIS_URL');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('secretEnv: must start with one of CXONE_SECRET_ (SECRET_ENV_PREFIXES)');
  });

  it('FL-E2E publish --wait shows the steps and the flow id; again: unchanged; a failed job exits 1 with the server errors', async () => {
    spawnWorker(env(), ['--queues', 'flow-publish']);
    const r = await flow('publish', EXAMPLE, '--wait', '-m', 'from the e2e test');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const [cx] = sim.flows.flows('Q3 outbound renewals');
    expect(cx).toBeDefined();
    expect(out[0]).toMatch(/^publish \S+ queued: "Q3 outbound renewals" content [0-9a-f]{12} \(after revision 0\)$/);
    expect(out.map((l) => /^\s+\S+\s+(\S+)\s+(\S+?):/.exec(l)?.slice(1, 3).join(' ')).filter(Boolean)).toEqual([
      'queued ok',
      'validate ok',
      'submit ok',
      'poll pending',
      'poll running',
      'persist completed',
      'done completed',
    ]);
    expect(out.at(-1)).toMatch(new RegExp(`^published "Q3 outbound renewals": flow ${cx!.id} revision 1 \\(CXone job \\S+\\)$`));

    const same = await flow('publish', EXAMPLE, '--wait');
    expect(same.code).toBe(0);
    expect(lines(same.stdout).at(-1)).toBe(`unchanged: "Q3 outbound renewals" already is this content at revision 1 (flow ${cx!.id}); use --force to publish it again`);

    const revs = await flow('revisions', 'Q3 outbound renewals');
    expect(revs.stdout).toMatch(/^r1 .* flow \S+ .* "from the e2e test"$/m);
    expect((await flow('diff', 'Q3 outbound renewals@1', EXAMPLE)).stdout.trim()).toBe('no differences');
    expect(JSON.parse((await flow('metrics', '--json')).stdout)).toMatchObject({ total_builds: 1, successful_validations: 2, failed_validations: 0 });

    sim.flows.configure({ outcome: 'failed', jobErrors: ["unknown directive 'plya' at nodes[0].actions[0]"] });
    const failed = await flow('publish', EXAMPLE, '--wait', '--force');
    expect(failed.code).toBe(1);
    expect(lines(failed.stdout).slice(-2)).toEqual(["failed: FLOW_JOB_FAILED job failed: unknown directive 'plya' at nodes[0].actions[0]", "  server error: unknown directive 'plya' at nodes[0].actions[0]"]);
  });
});
