// `cxone-fleet campaign preview ...` and `campaign dnc ...` as a user types them: exit codes,
// the payload printed by validate, every spec problem with its path, and an activation
// followed with --wait against the simulator and a worker.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PREVIEW_PROCESSORS } from '../../src/preview/processors.ts';
import { runCli } from '../helpers/cli.ts';
import { FIXTURE_LIST, LIST, startPreviewHarness, type PreviewHarness } from '../fixtures/preview/harness.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/preview');
let h: PreviewHarness | undefined;
afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

describe('campaign preview (CLI)', () => {
  it('validate prints the payload that would be PUT and exits 0', async () => {
    const r = await runCli(['campaign', 'preview', 'validate', path.join(FIXTURES, 'spec.yaml')], { LOG_LEVEL: 'silent' });
    expect(r.code).toBe(0);
    const payload = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(payload).toMatchObject({ type: 'preview', contactLists: [{ id: LIST, type: 'contactlist' }], agentDirectives: [{ queueId: 'q-outbound', agentCount: 8 }] });
  });

  it('validate names every problem with its path and exits 1', async () => {
    const r = await runCli(['campaign', 'preview', 'validate', path.join(FIXTURES, 'bad-spec.yaml')], { LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').map((l) => l.trim());
    expect(lines[0]).toMatch(/bad-spec\.yaml: 4 error\(s\)$/);
    expect(lines.slice(1, 5)).toEqual([
      'filters.0.values: IN needs values',
      'callingWindow.start: a custom profile needs start and end',
      'contactLists.0.id: must be a UUID',
      'previewSettings.previewDialingMode: Invalid option: expected one of "manual"|"timed"',
    ]);
  });

  it('dnc add|import|list|remove and activate --wait against the simulator', async () => {
    h = await startPreviewHarness('clipv');
    h.fleet.sim.preview.configure({ campaigns: [{ id: 'camp-preview-1' }], contactLists: { [LIST]: { ...FIXTURE_LIST, count: 30 } } });
    const env = { ...h.fleet.env, PUBLIC_URL: h.receiverUrl.replace('/webhooks/campaigns/events', '') };
    const add = await runCli(['campaign', 'dnc', 'add', '(212) 200-0000', '212-555', '--reason', 'asked on call'], env);
    expect(add.code).toBe(1);
    expect(add.stdout).toContain('dnc: 1 added, 0 already listed, 1 invalid');
    const dir = mkdtempSync(path.join(tmpdir(), 'dnc-'));
    writeFileSync(path.join(dir, 'dnc.csv'), 'number,reason\n+12122000006,complaint\n# a comment\n(212) 200-0000\n');
    const imp = await runCli(['campaign', 'dnc', 'import', path.join(dir, 'dnc.csv')], env);
    rmSync(dir, { recursive: true });
    expect(imp.stdout).toContain('dnc import: 1 added, 1 already listed, 0 invalid');
    const list = await runCli(['campaign', 'dnc', 'list', '--json'], env);
    expect(list.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { number: string }).number)).toEqual(['+12122000000', '+12122000006']);

    h.fleet.workers(PREVIEW_PROCESSORS, ['previewActivation']);
    const act = await runCli(['campaign', 'preview', 'activate', path.join(FIXTURES, 'spec.yaml'), '--wait', '--json'], env);
    expect(act.code).toBe(0);
    const state = JSON.parse(act.stdout.trim().split('\n').pop()!) as { activationId: string; status: string; counts: { eligible: number; dnc: number } };
    expect(state.status).toBe('active');
    // Window us-tsr on the real clock: whatever the hour, each NA-EAST contact is eligible or deferred.
    expect(state.counts.dnc).toBe(2);
    // Contacts 0 and 6 (+12122000000, +12122000006) are the two on the DNC list.
    const dncContacts = await runCli(['campaign', 'preview', 'contacts', state.activationId, '--reason', 'dnc'], env);
    expect(dncContacts.code).toBe(0);
    expect(dncContacts.stdout.trim().split('\n')).toEqual(['c-0\tdnc', 'c-6\tdnc']);
    expect(dncContacts.stderr).toContain('2 contact(s)');
    const eligible = await runCli(['campaign', 'preview', 'contacts', state.activationId], env);
    expect(eligible.stdout.trim().split('\n').filter(Boolean)).toHaveLength(state.counts.eligible);
    const status = await runCli(['campaign', 'preview', 'status', 'camp-preview-1'], env);
    expect(status.stdout).toMatch(/campaign camp-preview-1 {2}active/);
    const rm = await runCli(['campaign', 'dnc', 'remove', '+12122000000'], env);
    expect(rm.stdout).toContain('dnc: 1 removed');
  });
});
