// The email control API over HTTP: specs with secret references only, step states,
// resume, suppressions.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFleetIngress } from '../../src/fleet-ingress.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { EMAIL_PROCESSORS } from '../../src/email/processors.ts';
import { SMTP_ENV } from '../fixtures/email-pipeline/spec-dir.ts';
import { startEmailHarness, type EmailHarness } from '../fixtures/email-pipeline/harness.ts';

let h: EmailHarness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await h?.cleanup();
  h = undefined;
});

const AUTH = { authorization: 'Bearer email-api-token', 'content-type': 'application/json' };

const spec = {
  name: 'API inbox',
  from: 'noreply@example.com',
  replyTo: 'support@example.com',
  smtp: { host: 'smtp.relay.example.net', port: 587, username: 'relay', passwordEnv: SMTP_ENV, tls: 'starttls' },
  dkim: { selector: 'cx2025', domain: 'example.com', privateKeyFile: 'keys/dkim.pem' },
  rules: [{ name: 'partners', senderDomain: 'partner.com', operator: 'equals', priority: 10, targetQueue: 'Q1' }],
};

async function start(label: string) {
  h = await startEmailHarness(label, { email: { activation: { pendingPolls: 1 } } }, { ADMIN_TOKEN: 'email-api-token' });
  // The fleet's own ingress, as `cxone-fleet ingress` runs it, with the spec's key folder.
  const config = loadConfig({ ...h.fleet.env, EMAIL_SECRETS_DIR: h.specDir.dir });
  const ingress = await startFleetIngress(config, createLogger({ level: 'silent' }), { host: '127.0.0.1', port: 0 });
  closers.push(() => ingress.shutdown());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${ingress.url}/api${path}`, { method, headers: AUTH, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { message: string; details?: { issues?: { path: string }[] } } } };
  };
  return call;
}

describe('email control API', () => {
  it('refuses inline secrets with a 400 naming the field, and a bad spec with its paths', async () => {
    const call = await start('emapi400');
    const inline = await call('POST', '/email/channels', { ...spec, smtp: { ...spec.smtp, passwordEnv: undefined, password: 'pw' } });
    expect(inline.status).toBe(400);
    expect(inline.json.error!.message).toMatch(/smtp\.password: secrets are not accepted over HTTP/);
    expect(inline.json.error!.details!.issues!.map((i) => i.path)).toEqual(['smtp.password']);

    const bad = await call('POST', '/email/channels', { ...spec, smtp: { ...spec.smtp, port: 465 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error!.details!.issues!.map((i) => i.path)).toEqual(['smtp.tls']);
    expect(h!.fleet.sim.stats().email.channelsCreated).toBe(0);
  });

  it('provisions a spec posted over HTTP and shows its step states; resume and suppressions', async () => {
    const call = await start('emapi');
    const posted = await call('POST', '/email/channels?pollBaseMs=20&pollMaxMs=100&healthEveryMs=0', spec);
    expect(posted.status).toBe(202);
    expect(posted.json.channelName).toBe('API inbox');
    h!.fleet.workers(EMAIL_PROCESSORS, ['emailProvision']);
    await vi.waitFor(async () => expect(((await call('GET', '/email/channels/API%20inbox')).json.state as { step: string }).step).toBe('done'), { timeout: 20_000, interval: 25 });
    const st = (await call('GET', '/email/channels/API%20inbox')).json as { state: { rules: Record<string, string>; channelId: string } };
    expect(Object.keys(st.state.rules)).toEqual(['partners']);
    expect((await call('GET', '/email/channels/nope')).status).toBe(404);

    await h!.svc.pauses.pause(st.state.channelId, 'test');
    expect((await call('POST', '/email/channels/API%20inbox/resume')).json).toEqual({ resumed: true });

    await h!.svc.suppressions.suppress('x@example.com', { reason: 'test', class: 'manual', suppressedAt: Date.now() }, 60_000);
    const list = await call('GET', '/email/suppressions');
    expect(list.json.total).toBe(1);
    expect((await call('DELETE', '/email/suppressions/x%40example.com')).status).toBe(200);
    expect((await call('DELETE', '/email/suppressions/x%40example.com')).status).toBe(404);
  });
});
