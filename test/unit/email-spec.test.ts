import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseChannelSpec, redactSpec, resolveSpecPath, specFingerprint } from '../../src/domain/email/spec.ts';
import type { ParseSpecResult, ResolvedSpec } from '../../src/domain/email/spec.ts';
import { FIXTURE_DIR, ed25519Key, fixtureReader, readFixture, rsaKey } from '../fixtures/email/keys.ts';

const PASSWORD = 'hunter2-smtp-password';
const env = { CXONE_SMTP_PASSWORD: PASSWORD };

function opts(extra: { env?: Record<string, string | undefined>; files?: Record<string, string> } = {}) {
  return {
    baseDir: FIXTURE_DIR,
    env: extra.env ?? env,
    readFile: fixtureReader({ 'keys/dkim.pem': rsaKey(2048).privatePem, ...extra.files }),
  };
}

type Section = Record<string, unknown>;
/** good.yaml as data: two rules, one template. */
interface RawSpec {
  [key: string]: unknown;
  smtp: Section;
  dkim: Section;
  rules: [Section, Section];
}

/** The good fixture as data, edited by `edit`, back to YAML. */
function variant(edit: (spec: RawSpec) => void): string {
  const spec = parseYaml(readFixture('good.yaml')) as RawSpec;
  edit(spec);
  return toYaml(spec);
}

function expectOk(r: ParseSpecResult): { spec: ResolvedSpec; warnings: string[] } {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r;
}

function errorsOf(r: ParseSpecResult): Array<{ path: string; message: string }> {
  if (r.ok) throw new Error('expected errors');
  return r.errors;
}

describe('parseChannelSpec: good specs', () => {
  it('parses and resolves the YAML fixture', () => {
    const { spec, warnings } = expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts()));
    expect(warnings).toEqual([]);
    expect(spec).toMatchObject({
      name: 'Support inbox',
      from: 'noreply@example.com',
      replyTo: 'support@example.com',
      enabled: true,
      smtp: { host: 'smtp.relay.example.net', port: 587, username: 'cxone-relay', tls: 'starttls', password: PASSWORD, passwordRef: { source: 'env', name: 'CXONE_SMTP_PASSWORD' } },
      dkim: { selector: 'cx2025', domain: 'example.com', privateKey: rsaKey(2048).privatePem, privateKeyRef: { source: 'file', file: 'keys/dkim.pem' } },
      rules: [
        { name: 'partners', senderDomain: 'partner.com', operator: 'equals', priority: 10, targetQueue: 'HIGH_PRIORITY_QUEUE', enabled: true },
        { name: 'resellers', senderDomain: '.resell.example', operator: 'ends_with', priority: 20, targetQueue: 'RESELLER_QUEUE', enabled: false },
      ],
    });
    expect(spec.dkim.publicKeyFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const welcome = readFixture('templates/welcome.mjml');
    expect(spec.templates).toEqual([
      { name: 'welcome', file: 'templates/welcome.mjml', path: path.join(FIXTURE_DIR, 'templates/welcome.mjml'), sha256: createHash('sha256').update(welcome).digest('hex') },
    ]);
  });

  it('parses the JSON fixture (keys in another order) to the same resolved spec', () => {
    const yaml = expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts()));
    const json = expectOk(parseChannelSpec(readFixture('good.json'), 'json', opts()));
    expect(json.spec).toEqual(yaml.spec);
  });

  it("detects the format with 'auto'", () => {
    expect(parseChannelSpec(readFixture('good.json'), 'auto', opts()).ok).toBe(true);
    expect(parseChannelSpec(readFixture('good.yaml'), 'auto', opts()).ok).toBe(true);
  });

  it('accepts inline secrets with a warning for each, and normalises the PEM', () => {
    const key = ed25519Key().privatePem;
    const text = variant((s) => {
      s.smtp.password = PASSWORD;
      delete s.smtp.passwordEnv;
      s.dkim.privateKey = `  ${key.replace(/\n/g, '\r\n')}\n\n`;
      delete s.dkim.privateKeyFile;
      s.enabled = false;
    });
    const { spec, warnings } = expectOk(parseChannelSpec(text, 'yaml', opts({ env: {} })));
    expect(spec.smtp).toMatchObject({ password: PASSWORD, passwordRef: { source: 'inline' } });
    expect(spec.dkim).toMatchObject({ privateKey: key, privateKeyRef: { source: 'inline' } });
    expect(spec.enabled).toBe(false);
    expect(warnings).toEqual([
      'smtp.password is written in the spec; prefer smtp.passwordEnv so the file holds no secret',
      'dkim.privateKey is written in the spec; prefer dkim.privateKeyFile so the spec holds no secret',
    ]);
  });

  it('defaults rules and templates to empty lists and keeps an unreadable key for check-spec to explain', () => {
    const text = variant((s) => {
      Reflect.deleteProperty(s, 'rules');
      delete s.templates;
    });
    const { spec } = expectOk(parseChannelSpec(text, 'yaml', opts({ files: { 'keys/dkim.pem': 'not a key' } })));
    expect(spec.rules).toEqual([]);
    expect(spec.templates).toEqual([]);
    expect(spec.dkim.publicKeyFingerprint).toBeNull();
  });
});

describe('parseChannelSpec: syntax errors', () => {
  it.each([
    ['empty text', '  \n', 'yaml', 'the spec is empty'],
    ['invalid JSON', '{"name": ', 'json', 'invalid JSON'],
    ['invalid YAML', 'name: [unclosed', 'yaml', 'invalid YAML'],
    ['duplicate YAML key', 'name: a\nname: b\n', 'yaml', 'invalid YAML'],
    ['two YAML documents', 'name: a\n---\nname: b\n', 'yaml', 'invalid YAML'],
    ['a list at the top level', '- a\n- b\n', 'yaml', 'must be a mapping'],
    ['a scalar at the top level', '"just text"', 'json', 'must be a mapping'],
  ] as const)('%s', (_label, text, format, message) => {
    const errors = errorsOf(parseChannelSpec(text, format, opts()));
    expect(errors[0]?.path).toBe('');
    expect(errors[0]?.message).toContain(message);
  });

  it('bounds YAML alias expansion', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(errorsOf(parseChannelSpec(bomb, 'yaml', opts()))[0]?.message).toContain('invalid YAML');
  });
});

describe('parseChannelSpec: schema errors carry their field path', () => {
  it.each([
    ['missing smtp.host', (s: RawSpec) => delete s.smtp.host, 'smtp.host', 'required'],
    ['missing from', (s: RawSpec) => delete s.from, 'from', 'required'],
    ['missing dkim section', (s: RawSpec) => Reflect.deleteProperty(s, 'dkim'), 'dkim', 'required'],
    ['bad from address', (s: RawSpec) => (s.from = 'not-an-address'), 'from', 'not a valid email address'],
    ['bad replyTo address', (s: RawSpec) => (s.replyTo = 'a@b'), 'replyTo', 'not a valid email address'],
    ['port out of range', (s: RawSpec) => (s.smtp.port = 70000), 'smtp.port', 'must be between 1 and 65535'],
    ['port zero', (s: RawSpec) => (s.smtp.port = 0), 'smtp.port', 'must be between 1 and 65535'],
    ['port as a string', (s: RawSpec) => (s.smtp.port = '587'), 'smtp.port', 'must be an integer'],
    ['missing port', (s: RawSpec) => delete s.smtp.port, 'smtp.port', 'required'],
    ['unknown tls mode', (s: RawSpec) => (s.smtp.tls = 'ssl'), 'smtp.tls', 'must be one of: implicit, starttls, none'],
    ['bad host', (s: RawSpec) => (s.smtp.host = 'smtp relay'), 'smtp.host', 'not a valid host name'],
    ['bad env var name', (s: RawSpec) => (s.smtp.passwordEnv = 'SMTP-PASS'), 'smtp.passwordEnv', 'not a valid environment variable name'],
    ['rule priority 0', (s: RawSpec) => (s.rules[1].priority = 0), 'rules.1.priority', 'must be an integer >= 1'],
    ['rule priority 1.5', (s: RawSpec) => (s.rules[1].priority = 1.5), 'rules.1.priority', 'must be an integer'],
    ['rule operator', (s: RawSpec) => (s.rules[0].operator = 'regex'), 'rules.0.operator', 'must be one of: equals, contains, ends_with'],
    ['rule sender domain', (s: RawSpec) => (s.rules[0].senderDomain = 'partner.com; drop'), 'rules.0.senderDomain', 'only letters, digits'],
    ['empty name', (s: RawSpec) => (s.name = '  '), 'name', 'must not be empty'],
    ['enabled as a string', (s: RawSpec) => (s.enabled = 'yes'), 'enabled', 'expected boolean'],
    ['misspelt key', (s: RawSpec) => (s.smtp.passwrod = 'x'), 'smtp.passwrod', 'unknown field'],
    ['unknown top-level key', (s: RawSpec) => (s.channelType = 'EMAIL'), 'channelType', 'unknown field'],
  ])('%s', (_label, edit, field, message) => {
    const errors = errorsOf(parseChannelSpec(variant(edit), 'yaml', opts()));
    expect(errors).toContainEqual({ path: field, message: expect.stringContaining(message) as string });
  });

  it('reports every schema problem in one pass, with the exactly-one checks', () => {
    const text = variant((s) => {
      s.smtp.port = 'x';
      s.smtp.password = 'inline';
      s.rules[0].priority = -1;
    });
    const paths = errorsOf(parseChannelSpec(text, 'yaml', opts())).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['smtp.passwordEnv', 'smtp.port', 'rules.0.priority']));
  });
});

describe('parseChannelSpec: secrets and files', () => {
  it('refuses both password and passwordEnv', () => {
    const errors = errorsOf(parseChannelSpec(variant((s) => (s.smtp.password = 'x')), 'yaml', opts()));
    expect(errors).toEqual([{ path: 'smtp.passwordEnv', message: 'set either smtp.password or smtp.passwordEnv, not both' }]);
  });

  it('requires one of password or passwordEnv', () => {
    const errors = errorsOf(parseChannelSpec(variant((s) => delete s.smtp.passwordEnv), 'yaml', opts()));
    expect(errors).toEqual([{ path: 'smtp.password', message: 'one of smtp.password or smtp.passwordEnv is required' }]);
  });

  it('refuses both privateKey and privateKeyFile, and requires one of them', () => {
    const both = errorsOf(parseChannelSpec(variant((s) => (s.dkim.privateKey = 'x')), 'yaml', opts()));
    expect(both).toEqual([{ path: 'dkim.privateKeyFile', message: 'set either dkim.privateKey or dkim.privateKeyFile, not both' }]);
    const neither = errorsOf(parseChannelSpec(variant((s) => delete s.dkim.privateKeyFile), 'yaml', opts()));
    expect(neither).toEqual([{ path: 'dkim.privateKey', message: 'one of dkim.privateKey or dkim.privateKeyFile is required' }]);
  });

  it('refuses a passwordEnv pointing to an unset or empty variable', () => {
    expect(errorsOf(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts({ env: {} })))).toEqual([
      { path: 'smtp.passwordEnv', message: expect.stringMatching(/^environment variable CXONE_SMTP_PASSWORD is not set \(secret references must start with an allowed prefix/) },
    ]);
    expect(errorsOf(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts({ env: { CXONE_SMTP_PASSWORD: '' } })))).toEqual([
      { path: 'smtp.passwordEnv', message: 'environment variable CXONE_SMTP_PASSWORD is empty' },
    ]);
  });

  it('reports an unreadable key file on dkim.privateKeyFile', () => {
    const errors = errorsOf(parseChannelSpec(variant((s) => (s.dkim.privateKeyFile = 'keys/missing.pem')), 'yaml', opts()));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: 'dkim.privateKeyFile', message: expect.stringContaining('cannot read "keys/missing.pem": ENOENT') as string });
  });

  it.each([
    ['/etc/ssl/private/dkim.pem', 'must be relative'],
    ['../../secrets/dkim.pem', 'points outside'],
    ['keys/../../x.pem', 'points outside'],
  ])('refuses key file %s', (file, message) => {
    const errors = errorsOf(parseChannelSpec(variant((s) => (s.dkim.privateKeyFile = file)), 'yaml', opts()));
    expect(errors).toEqual([{ path: 'dkim.privateKeyFile', message: expect.stringContaining(message) as string }]);
  });

  it('checks template references: .mjml extension, inside baseDir, readable', () => {
    const text = variant((s) => {
      s.templates = [
        { name: 'a', file: 'templates/welcome.html' },
        { name: 'b', file: '../outside.mjml' },
        { name: 'c', file: 'templates/nope.mjml' },
      ];
    });
    const errors = errorsOf(parseChannelSpec(text, 'yaml', opts()));
    expect(errors.map((e) => e.path)).toEqual(['templates.0.file', 'templates.1.file', 'templates.2.file']);
    expect(errors[0]?.message).toContain('is not an .mjml file');
    expect(errors[1]?.message).toContain('points outside');
    expect(errors[2]?.message).toContain('cannot read');
  });

  it('resolveSpecPath refuses NUL bytes and the directory itself', () => {
    expect(resolveSpecPath('/base', 'a\0b')).toEqual({ ok: false, message: 'contains a NUL byte' });
    expect(resolveSpecPath('/base', '.')).toMatchObject({ ok: false });
    expect(resolveSpecPath('/base', './..foo/x.mjml')).toEqual({ ok: true, path: '/base/..foo/x.mjml' });
  });
});

describe('redactSpec and specFingerprint', () => {
  const good = (): ResolvedSpec => expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts())).spec;

  it('never contains the password or the PEM', () => {
    const spec = good();
    const json = JSON.stringify(redactSpec(spec));
    expect(json).not.toContain(PASSWORD);
    expect(json).not.toContain('PRIVATE KEY');
    const body = spec.dkim.privateKey.split('\n')[5] ?? '';
    expect(body.length).toBeGreaterThan(20);
    expect(json).not.toContain(body);
    expect(redactSpec(spec)).toMatchObject({
      smtp: { password: undefined, passwordRef: { source: 'env', name: 'CXONE_SMTP_PASSWORD' } },
      dkim: { privateKey: undefined, privateKeyRef: { source: 'file', file: 'keys/dkim.pem' }, publicKeyFingerprint: spec.dkim.publicKeyFingerprint },
      templates: [{ name: 'welcome', file: 'templates/welcome.mjml', sha256: spec.templates[0]?.sha256 }],
    });
    expect(json).not.toContain(FIXTURE_DIR);
  });

  it('redacts inline secrets too', () => {
    const text = variant((s) => {
      s.smtp.password = PASSWORD;
      delete s.smtp.passwordEnv;
      s.dkim.privateKey = rsaKey(2048).privatePem;
      delete s.dkim.privateKeyFile;
    });
    const json = JSON.stringify(redactSpec(expectOk(parseChannelSpec(text, 'yaml', opts())).spec));
    expect(json).not.toContain(PASSWORD);
    expect(json).not.toContain('PRIVATE KEY');
    expect(json).toContain('"passwordRef":{"source":"inline"}');
  });

  it('is a stable sha256, independent of key order and of the source format', () => {
    const fp = specFingerprint(good());
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(specFingerprint(good())).toBe(fp);
    expect(specFingerprint(expectOk(parseChannelSpec(readFixture('good.json'), 'json', opts())).spec)).toBe(fp);
    const reordered = parseYaml(readFixture('good.yaml')) as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(reordered).reverse());
    expect(specFingerprint(expectOk(parseChannelSpec(JSON.stringify(reversed), 'json', opts())).spec)).toBe(fp);
  });

  it('ignores rule order but not rule content', () => {
    const fp = specFingerprint(good());
    const swapped = variant((s) => s.rules.reverse());
    expect(specFingerprint(expectOk(parseChannelSpec(swapped, 'yaml', opts())).spec)).toBe(fp);
    const retargeted = variant((s) => (s.rules[0].targetQueue = 'OTHER'));
    expect(specFingerprint(expectOk(parseChannelSpec(retargeted, 'yaml', opts())).spec)).not.toBe(fp);
  });

  it('changes with the DKIM key and the template content, not with the password value', () => {
    const fp = specFingerprint(good());
    const otherKey = expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts({ files: { 'keys/dkim.pem': rsaKey(1024).privatePem } })));
    expect(specFingerprint(otherKey.spec)).not.toBe(fp);
    const edited = expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts({ files: { 'templates/welcome.mjml': '<mjml><mj-body></mj-body></mjml>' } })));
    expect(specFingerprint(edited.spec)).not.toBe(fp);
    const rotated = expectOk(parseChannelSpec(readFixture('good.yaml'), 'yaml', opts({ env: { CXONE_SMTP_PASSWORD: 'another' } })));
    expect(specFingerprint(rotated.spec)).toBe(fp);
  });
});
