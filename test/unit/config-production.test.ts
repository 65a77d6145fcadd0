import { describe, expect, it } from 'vitest';
import { loadConfig, secretEnvironment } from '../../src/config.ts';
import { configErrorLines } from '../helpers/config-error.ts';

const GOOD = {
  NODE_ENV: 'production',
  CXONE_CLIENT_ID: 'acme-prod-client',
  CXONE_CLIENT_SECRET: 'k3VpQ9s0-long-enough-secret',
  WEBHOOK_SECRETS: 'whsec-8d0c1f7e2a9b4c3d',
};

const refusal = configErrorLines;

describe('production mode', () => {
  it('starts with real secrets of its own', () => {
    expect(loadConfig(GOOD).env).toBe('production');
    expect(loadConfig({ ...GOOD, ADMIN_USER: 'ops', ADMIN_PASSWORD: 'a-long-admin-password', METRICS_TOKEN: 'metrics-token-0123456789' }).ingress.admin.user).toBe('ops');
  });

  it('development keeps the demo defaults', () => {
    expect(loadConfig({}).cxone.clientSecret).toBe('demo-secret');
  });

  it.each([
    ['CXONE_CLIENT_SECRET', 'demo-secret'],
    ['CXONE_CLIENT_ID', 'demo-client'],
    ['WEBHOOK_SECRETS', 'dev-webhook-secret'],
    ['WEBHOOK_SECRETS', 'whsec-8d0c1f7e2a9b4c3d,dev-webhook-secret'],
    ['ADMIN_PASSWORD', 'changeme'],
    ['ADMIN_TOKEN', 'CHANGE_ME_TOKEN_PLEASE'],
    ['METRICS_TOKEN', 'demo-secret'],
  ])('refuses the demo value of %s (%s), naming it and hiding the value', (name, value) => {
    const env = { ...GOOD, ADMIN_USER: name === 'ADMIN_PASSWORD' ? 'ops' : undefined, [name]: value };
    const lines = refusal(env);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${name}( \\(value 2\\))?: is a demo value`));
    expect(lines[0]).not.toContain(value);
  });

  it.each(['CXONE_CLIENT_ID', 'CXONE_CLIENT_SECRET', 'WEBHOOK_SECRETS'])('refuses a missing %s (the demo default would apply)', (name) => {
    const lines = refusal({ ...GOOD, [name]: undefined });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^${name}: required in production`))]);
    expect(refusal({ ...GOOD, [name]: '  ' })).toHaveLength(1);
  });

  it.each(['CXONE_CLIENT_SECRET', 'WEBHOOK_SECRETS', 'ADMIN_TOKEN', 'METRICS_TOKEN'])('refuses a short %s', (name) => {
    expect(refusal({ ...GOOD, [name]: 'short1' })).toEqual([`${name}: must be at least 16 characters in production`]);
  });

  it('refuses half an admin login', () => {
    expect(refusal({ ...GOOD, ADMIN_USER: 'ops' })[0]).toMatch(/^ADMIN_PASSWORD: ADMIN_USER is set without a password/);
    expect(refusal({ ...GOOD, ADMIN_PASSWORD: 'a-long-admin-password' })[0]).toMatch(/^ADMIN_USER:/);
  });

  it('lists every problem at once', () => {
    expect(refusal({ NODE_ENV: 'production' }).map((l) => l.split(':')[0])).toEqual(['CXONE_CLIENT_ID', 'CXONE_CLIENT_SECRET', 'WEBHOOK_SECRETS']);
  });
});

describe('secret references', () => {
  it('offer only variables with an allowed prefix (CXONE_SECRET_ by default)', () => {
    const env = { CXONE_SECRET_SMTP: 'pw', CXONE_CLIENT_SECRET: 'cx', REDIS_URL: 'redis://:pw@h', SMTP_PASSWORD: 'x' };
    expect(secretEnvironment(env)).toEqual({ CXONE_SECRET_SMTP: 'pw' });
    expect(secretEnvironment({ ...env, SECRET_ENV_PREFIXES: 'SMTP_, CXONE_SECRET_' })).toEqual({ CXONE_SECRET_SMTP: 'pw', SMTP_PASSWORD: 'x' });
  });

  it('refuse a prefix that is not one', () => {
    expect(() => loadConfig({ SECRET_ENV_PREFIXES: 'cx-' })).toThrow(/SECRET_ENV_PREFIXES.*prefixes of upper-case variable names/);
  });
});
