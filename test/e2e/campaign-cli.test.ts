// `cxone-fleet campaign launch --wait` as a user runs it: the CLI in a child process against
// real Redis, the simulator over HTTP and workers in this process; then status, pacing,
// compliance and stop on the campaign it launched, and a failing launch's exit code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_PROCESSORS } from '../../src/campaigns/processors.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestFleet } from '../helpers/fleet.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'campaign-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('campaign CLI', { timeout: 180_000 }, () => {
  it('launch --wait follows the start to RUNNING; status, pacing --cpm, compliance, stop; a bad contact list exits 1 with the reason', async () => {
    const fleet = await startTestFleet({ label: 'campcli', env: { CAMPAIGN_POLL_INTERVAL_MS: '30', CAMPAIGN_POLL_JITTER_MS: '20', PACING_CHECK_EVERY_MS: '60000' } });
    try {
      fleet.workers(CAMPAIGN_PROCESSORS, ['campaignOperation', 'pacingCheck']);
      const spec = path.join(tmp, 'campaign.yaml');
      writeFileSync(spec, 'name: CLI launch\ncontactListId: CL-839201-AJF2\npacing:\n  callsPerMinute: 10\n  maxConcurrent: 20\n');
      const cli = (...args: string[]) => runCli(['campaign', ...args], fleet.env);

      const launched = await cli('launch', spec, '--wait', '--launch-id', 'cli-1');
      expect(launched.stderr).toMatch(/launch cli-1 "CLI launch": running campaign \S+ CXone RUNNING, 5 polls/);
      expect(launched.code).toBe(0);
      const id = /Campaign (\S+) is running successfully/.exec(launched.stdout)?.[1];
      expect(id).toBeTruthy();
      expect(fleet.sim.stats().campaigns.starts).toBe(1);

      const status = await cli('status', id!, '--json');
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ campaignId: id, launch: { status: 'running' }, pacing: { status: 'active' } });

      const pacing = await cli('pacing', id!, '--cpm', '7');
      expect(pacing.stdout).toContain('Pacing adjusted successfully');
      expect(fleet.sim.stats().campaigns.cpmHistory[id!]?.at(-1)).toBe(7);
      expect((await cli('pacing', id!, '--cpm', '0')).code).toBe(2);

      const compliance = await cli('compliance', id!);
      expect(compliance.stdout).toMatch(/policy manual, 7 calls\/min; limit 3\.00 %/);
      expect(compliance.stdout).toMatch(/-> 7 \(set by an operator\)/);
      expect(compliance.stdout).toMatch(/24 h: \d+\.\d\d % abandoned \(\d+ of \d+ live answers\)/);

      const stop = await cli('stop', id!);
      expect(stop.code).toBe(0);
      expect(fleet.sim.stats().campaigns.stops).toBe(1);

      const bad = await cli('launch', spec.replace('campaign.yaml', 'bad.json'), '--wait');
      expect(bad.code).toBe(4);
      writeFileSync(path.join(tmp, 'bad.json'), JSON.stringify({ name: 'Nope', contactListId: 'CL-x' }));
      const failed = await cli('launch', path.join(tmp, 'bad.json'), '--wait');
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('contact list CL-x does not exist');
    } finally {
      await fleet.cleanup();
    }
  });
});
