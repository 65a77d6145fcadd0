import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkChannelSpec, parseAddress } from '../../src/domain/email/check-spec.ts';
import { inspectDkimKey } from '../../src/domain/email/dkim.ts';
import { parseChannelSpec } from '../../src/domain/email/spec.ts';
import type { ResolvedSpec, SmtpTlsMode } from '../../src/domain/email/spec.ts';
import { FIXTURE_DIR, ed25519Key, encryptedRsaKey, fixtureReader, readFixture, rsaKey } from '../fixtures/email/keys.ts';

const readFile = fixtureReader();

/** The good fixture, resolved with a 2048-bit key, then edited in memory. */
function goodSpec(edit: (spec: ResolvedSpec) => void = () => undefined): ResolvedSpec {
  const r = parseChannelSpec(readFixture('good.yaml'), 'yaml', {
    baseDir: FIXTURE_DIR,
    env: { CXONE_SMTP_PASSWORD: 'pw' },
    readFile: fixtureReader({ 'keys/dkim.pem': rsaKey(2048).privatePem }),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  edit(r.spec);
  return r.spec;
}

function withTemplate(file: string): (spec: ResolvedSpec) => void {
  return (spec) => {
    const t = spec.templates[0];
    if (!t) throw new Error('fixture has a template');
    t.file = file;
    t.path = path.join(FIXTURE_DIR, file);
    // Keep the parse-time hash in step so only the compile result is under test.
    t.sha256 = createHash('sha256').update(readFixture(file)).digest('hex');
  };
}

describe('checkChannelSpec: a good spec', () => {
  it('has no errors or warnings and returns the DKIM DNS record to publish', async () => {
    const spec = goodSpec();
    const r = await checkChannelSpec(spec, { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    const key = inspectDkimKey(spec.dkim.privateKey, 'cx2025', 'example.com');
    if (!key.ok) throw new Error(key.reason);
    expect(r.dns).toEqual({ name: 'cx2025._domainkey.example.com', value: key.dnsTxtValue });
  });

  it('accepts an async readFile', async () => {
    const r = await checkChannelSpec(goodSpec(), { readFile: (p) => Promise.resolve(readFile(p)) });
    expect(r.errors).toEqual([]);
  });

  it('accepts ed25519 (with its warning) and publishes k=ed25519', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.dkim.privateKey = ed25519Key().privatePem)), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.dns?.value).toMatch(/^v=DKIM1; k=ed25519; p=/);
    expect(r.warnings).toEqual([expect.stringMatching(/^dkim\.privateKeyFile: ed25519 DKIM/)]);
  });
});

describe('checkChannelSpec: addresses and DMARC alignment', () => {
  it('refuses a From domain unrelated to the DKIM domain', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.from = 'noreply@other.org')), { readFile });
    expect(r.errors).toEqual([
      { path: 'dkim.domain', message: 'DKIM domain example.com does not align with the From domain other.org: DMARC will fail; sign with d=other.org (or a parent domain of it)' },
    ]);
  });

  it('refuses a look-alike suffix that is not a subdomain', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.from = 'noreply@badexample.com')), { readFile });
    expect(r.errors.map((e) => e.path)).toEqual(['dkim.domain']);
  });

  it('accepts a From subdomain (relaxed alignment) with a warning about adkim=s', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.from = 'noreply@Mail.Example.com')), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.stringContaining('align only under relaxed DMARC alignment')]);
  });

  it('accepts a DKIM domain that is a subdomain of the From domain, with the same warning', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.dkim.domain = 'mail.example.com')), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.stringContaining('adkim=s')]);
    expect(r.dns?.name).toBe('cx2025._domainkey.mail.example.com');
  });

  it('refuses From and Reply-To that are not addresses', async () => {
    const r = await checkChannelSpec(goodSpec((s) => {
      s.from = 'Support <noreply@example.com>';
      s.replyTo = 'support@localhost';
    }), { readFile });
    expect(r.errors).toEqual([
      { path: 'from', message: '"Support <noreply@example.com>" is not a valid email address (local@domain)' },
      { path: 'replyTo', message: '"support@localhost" is not a valid email address (local@domain)' },
    ]);
  });

  it('parseAddress lower-cases the domain and rejects malformed input', () => {
    expect(parseAddress('A.B@Example.COM')).toEqual({ local: 'A.B', domain: 'example.com' });
    for (const bad of ['', '@example.com', 'a@', 'a@-x.com', 'a b@example.com', `${'x'.repeat(65)}@example.com`]) {
      expect(parseAddress(bad)).toBeNull();
    }
  });

  it('refuses an invalid selector on dkim.selector', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.dkim.selector = 'cx_2025')), { readFile });
    expect(r.errors).toEqual([{ path: 'dkim.selector', message: expect.stringContaining('invalid DKIM selector') as string }]);
    expect(r.dns).toBeUndefined();
  });
});

describe('checkChannelSpec: the DKIM key', () => {
  it('refuses a weak RSA key on the field it came from, without a DNS record', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.dkim.privateKey = rsaKey(512).privatePem)), { readFile });
    expect(r.errors).toEqual([{ path: 'dkim.privateKeyFile', message: 'RSA key is 512 bits; DKIM requires at least 1024 (RFC 8301), use 2048' }]);
    expect(r.dns).toBeUndefined();
  });

  it('warns about a 1024-bit key and still returns the DNS record', async () => {
    const r = await checkChannelSpec(goodSpec((s) => (s.dkim.privateKey = rsaKey(1024).privatePem)), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.stringContaining('dkim.privateKeyFile: RSA key is 1024 bits')]);
    expect(r.dns?.value).toMatch(/^v=DKIM1; k=rsa; p=/);
  });

  it('refuses an encrypted key and a bad inline PEM', async () => {
    const encrypted = await checkChannelSpec(goodSpec((s) => (s.dkim.privateKey = encryptedRsaKey())), { readFile });
    expect(encrypted.errors).toEqual([{ path: 'dkim.privateKeyFile', message: expect.stringContaining('encrypted') as string }]);
    const inline = await checkChannelSpec(goodSpec((s) => {
      s.dkim.privateKey = 'MIIEvQIBADANBg';
      s.dkim.privateKeyRef = { source: 'inline' };
    }), { readFile });
    expect(inline.errors).toEqual([{ path: 'dkim.privateKey', message: expect.stringContaining('not a PEM-encoded key') as string }]);
  });
});

describe('checkChannelSpec: SMTP port and TLS mode must agree', () => {
  it.each<[number, SmtpTlsMode, 'ok' | 'error' | 'warning', string]>([
    [465, 'implicit', 'ok', ''],
    [465, 'starttls', 'error', 'port 465 is SMTPS (implicit TLS)'],
    [465, 'none', 'error', "tls 'none' is only allowed on port 25"],
    [587, 'starttls', 'ok', ''],
    [587, 'implicit', 'error', 'port 587 is submission with STARTTLS'],
    [587, 'none', 'error', "tls 'none' is only allowed on port 25"],
    [25, 'starttls', 'ok', ''],
    [25, 'implicit', 'error', 'port 25 uses STARTTLS'],
    [25, 'none', 'warning', 'travel unencrypted'],
    [2525, 'starttls', 'warning', 'not a standard SMTP port (25, 465, 587): make sure the relay expects STARTTLS'],
    [2525, 'implicit', 'warning', 'expects implicit TLS'],
    [2525, 'none', 'error', "tls 'none' is only allowed on port 25, not 2525"],
  ])('port %i with tls %s: %s', async (port, tls, outcome, text) => {
    const r = await checkChannelSpec(goodSpec((s) => Object.assign(s.smtp, { port, tls })), { readFile });
    if (outcome === 'error') expect(r.errors).toEqual([{ path: 'smtp.tls', message: expect.stringContaining(text) as string }]);
    else expect(r.errors).toEqual([]);
    if (outcome === 'warning') expect(r.warnings).toEqual([expect.stringContaining(text)]);
    else expect(r.warnings).toEqual([]);
  });
});

describe('checkChannelSpec: routing rules', () => {
  it('refuses duplicate priorities and duplicate names', async () => {
    const r = await checkChannelSpec(goodSpec((s) => {
      const [first, second] = s.rules;
      if (!first || !second) throw new Error('fixture has two rules');
      second.priority = first.priority;
      s.rules.push({ ...first, priority: 30 });
    }), { readFile });
    expect(r.errors).toEqual([
      { path: 'rules.1.priority', message: 'priority 10 is already used by rules.0; rule priorities must be unique' },
      { path: 'rules.2.name', message: 'rule name "partners" is already used by rules.0' },
    ]);
  });

  it("warns about an 'equals' rule that can never match a domain", async () => {
    const r = await checkChannelSpec(goodSpec((s) => {
      if (s.rules[0]) s.rules[0].senderDomain = 'partner';
    }), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.stringContaining("rules.0.senderDomain \"partner\" has no dot")]);
  });
});

describe('checkChannelSpec: templates', () => {
  it('reports MJML structure errors as templates.N.file: line L: <tag>: message', async () => {
    const r = await checkChannelSpec(goodSpec(withTemplate('templates/mis-nested.mjml')), { readFile });
    expect(r.errors).toEqual([
      { path: 'templates.0.file', message: 'line 6: <mj-column>: <mj-column> opened on line 4 is not closed before </mj-section> (mis-nested tags)' },
    ]);
  });

  it('reports a missing mj-body and MJML validator errors', async () => {
    const noBody = await checkChannelSpec(goodSpec(withTemplate('templates/missing-body.mjml')), { readFile });
    expect(noBody.errors).toEqual([{ path: 'templates.0.file', message: 'line 1: <mj-body>: missing <mj-body> inside <mjml>' }]);
    const illegal = await checkChannelSpec(goodSpec(withTemplate('templates/illegal-attribute.mjml')), { readFile });
    expect(illegal.errors).toEqual([{ path: 'templates.0.file', message: 'line 3: <mj-section>: Attribute colour is illegal' }]);
  });

  it('leaves out the line and tag when there are none', async () => {
    const r = await checkChannelSpec(goodSpec(), { readFile: fixtureReader({ 'templates/welcome.mjml': '<p>hello</p>' }) });
    expect(r.errors).toContainEqual({ path: 'templates.0.file', message: '<mjml>: missing <mjml> root element' });
    expect(r.warnings).toContainEqual(expect.stringContaining('changed since the spec was parsed'));
  });

  it('passes HTML warnings through, prefixed with the template field', async () => {
    const r = await checkChannelSpec(goodSpec(withTemplate('templates/sloppy-html.mjml')), { readFile });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual(['templates.0.file: line 5: <b>: HTML <b> opened on line 5 is not closed before </p> (mis-nested HTML)']);
  });

  it('reports an unreadable template and duplicate template names', async () => {
    const r = await checkChannelSpec(goodSpec((s) => {
      const t = s.templates[0];
      if (!t) throw new Error('fixture has a template');
      s.templates.push({ ...t, path: path.join(FIXTURE_DIR, 'templates/gone.mjml') });
    }), { readFile });
    expect(r.errors).toEqual([
      { path: 'templates.1.name', message: 'template name "welcome" is already used by templates.0' },
      { path: 'templates.1.file', message: expect.stringContaining('cannot read "templates/welcome.mjml": ENOENT') as string },
    ]);
  });
});
