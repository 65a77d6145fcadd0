import { createHash, createPublicKey, generateKeyPair, generateKeyPairSync, sign, verify } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inspectDkimKey, normalizePem, pemFingerprint } from '../../src/domain/email/dkim.ts';
import { ed25519Key, encryptedRsaKey, rsaKey } from '../fixtures/email/keys.ts';

const SEL = 'cx2025';
const DOMAIN = 'example.com';

function pValue(txt: string): Buffer {
  const m = /; p=([A-Za-z0-9+/=]+)$/.exec(txt);
  if (!m?.[1]) throw new Error(`no p= in ${txt}`);
  return Buffer.from(m[1], 'base64');
}

function reasonOf(pem: string, selector = SEL, domain = DOMAIN): string {
  const r = inspectDkimKey(pem, selector, domain);
  if (r.ok) throw new Error('expected the key to be refused');
  return r.reason;
}

describe('inspectDkimKey: accepted keys', () => {
  it('accepts RSA 2048 without warnings and derives the DNS TXT record from the public key', () => {
    const key = rsaKey(2048);
    const r = inspectDkimKey(key.privatePem, SEL, DOMAIN);
    if (!r.ok) throw new Error(r.reason);
    expect(r).toMatchObject({ type: 'rsa', bits: 2048, warnings: [], dnsRecordName: 'cx2025._domainkey.example.com' });
    expect(r.dnsTxtValue).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);

    // Re-derive: p= is the SPKI DER of the very public key that verifies our signatures.
    const published = createPublicKey({ key: pValue(r.dnsTxtValue), format: 'der', type: 'spki' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(key.publicPem);
    const sig = sign('sha256', Buffer.from('dkim'), key.privatePem);
    expect(verify('sha256', Buffer.from('dkim'), published, sig)).toBe(true);

    const spki = createPublicKey(key.publicPem).export({ type: 'spki', format: 'der' });
    expect(r.fingerprint).toBe(`sha256:${createHash('sha256').update(spki).digest('hex')}`);
  });

  it('accepts a PKCS#1 "RSA PRIVATE KEY" with CRLF line ends and surrounding whitespace', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const messy = `\n\n  ${pkcs1.replace(/\n/g, '\r\n')}  \n`;
    const r = inspectDkimKey(messy, SEL, DOMAIN);
    expect(r).toMatchObject({ ok: true, type: 'rsa', bits: 2048 });
  });

  it('accepts RSA 1024 with a warning to use 2048', () => {
    const r = inspectDkimKey(rsaKey(1024).privatePem, SEL, DOMAIN);
    if (!r.ok) throw new Error(r.reason);
    expect(r.bits).toBe(1024);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('RSA key is 1024 bits; 2048 is recommended');
  });

  // The only slow test (a >4096-bit prime search takes seconds), hence async and its own timeout.
  it('warns above 4096 bits (verifiers need only handle up to 4096)', { timeout: 120_000 }, async () => {
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 4104 });
    const r = inspectDkimKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), SEL, DOMAIN);
    if (!r.ok) throw new Error(r.reason);
    expect(r.warnings.join()).toContain('only required to handle up to 4096');
  });

  it('accepts ed25519 with k=ed25519 and the raw 32-byte key (RFC 8463), not SPKI', () => {
    const key = ed25519Key();
    const r = inspectDkimKey(key.privatePem, SEL, DOMAIN);
    if (!r.ok) throw new Error(r.reason);
    expect(r.type).toBe('ed25519');
    expect(r.bits).toBeUndefined();
    expect(r.warnings.join()).toContain('ed25519');
    expect(r.dnsTxtValue.startsWith('v=DKIM1; k=ed25519; p=')).toBe(true);
    const raw = pValue(r.dnsTxtValue);
    expect(raw).toHaveLength(32);

    const published = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    expect(published.export({ type: 'spki', format: 'pem' })).toBe(key.publicPem);
    const sig = sign(null, Buffer.from('dkim'), key.privatePem);
    expect(verify(null, Buffer.from('dkim'), published, sig)).toBe(true);
  });

  it('lower-cases the DNS record name and drops a trailing dot', () => {
    const r = inspectDkimKey(rsaKey(2048).privatePem, 'CX2025', 'Mail.Example.COM.');
    expect(r).toMatchObject({ ok: true, dnsRecordName: 'cx2025._domainkey.mail.example.com' });
  });
});

describe('inspectDkimKey: refused keys, each with its own reason', () => {
  it('refuses RSA below 1024 bits', () => {
    expect(reasonOf(rsaKey(512).privatePem)).toBe('RSA key is 512 bits; DKIM requires at least 1024 (RFC 8301), use 2048');
  });

  it('refuses encrypted keys: PKCS#8 and legacy PEM (Proc-Type) encryption', () => {
    expect(reasonOf(encryptedRsaKey())).toContain('encrypted (passphrase-protected)');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(privateKey).toContain('Proc-Type: 4,ENCRYPTED');
    expect(reasonOf(privateKey)).toContain('encrypted (passphrase-protected)');
  });

  it('refuses public keys and certificates', () => {
    expect(reasonOf(rsaKey(2048).publicPem)).toContain('this is a public key');
    const pkcs1Public = createPublicKey(rsaKey(2048).publicPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(reasonOf(pkcs1Public)).toContain('this is a public key');
    expect(reasonOf('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')).toContain('this is a certificate');
  });

  it('refuses EC keys in SEC1 and PKCS#8 form, and other key types', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(reasonOf(ec.export({ type: 'sec1', format: 'pem' }).toString())).toContain('EC (ECDSA) keys have no DKIM algorithm');
    expect(reasonOf(ec.export({ type: 'pkcs8', format: 'pem' }).toString())).toContain('EC (ECDSA) keys have no DKIM algorithm');
    const x25519 = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(reasonOf(x25519)).toBe('unsupported key type "x25519"; DKIM uses RSA or ed25519');
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(reasonOf(pss)).toContain('RSA-PSS');
  });

  it('refuses non-PEM text, empty input, a corrupt body, several blocks and extra text', () => {
    expect(reasonOf('not a key')).toContain('not a PEM-encoded key');
    expect(reasonOf('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toContain('not a PEM-encoded key');
    expect(reasonOf('   ')).toBe('the private key is empty');
    expect(reasonOf('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n')).toContain('cannot be read');
    const pem = rsaKey(2048).privatePem;
    expect(reasonOf(pem + pem)).toBe('expected one PEM block, found 2: supply only the private key');
    expect(reasonOf(`key follows:\n${pem}`)).toBe('unexpected text outside the PEM block');
    expect(reasonOf('-----BEGIN DSA PRIVATE KEY-----\nMIIB\n-----END DSA PRIVATE KEY-----')).toContain('unsupported PEM block "DSA PRIVATE KEY"');
  });

  it('refuses an invalid selector or domain', () => {
    const pem = rsaKey(2048).privatePem;
    expect(reasonOf(pem, 'bad_selector!', DOMAIN)).toContain('invalid DKIM selector');
    expect(reasonOf(pem, '-sel', DOMAIN)).toContain('invalid DKIM selector');
    expect(reasonOf(pem, SEL, 'localhost')).toContain('invalid DKIM domain');
    expect(reasonOf(pem, SEL, 'exa mple.com')).toContain('invalid DKIM domain');
  });
});

describe('PEM helpers', () => {
  it('normalizePem converts CRLF to LF and trims to one final newline', () => {
    expect(normalizePem('\r\n -----BEGIN X-----\r\nAA\r\n-----END X-----\r\n\r\n')).toBe('-----BEGIN X-----\nAA\n-----END X-----\n');
  });

  it('pemFingerprint identifies the public half and is null for unreadable keys', () => {
    const key = rsaKey(2048);
    const spki = createPublicKey(key.publicPem).export({ type: 'spki', format: 'der' });
    expect(pemFingerprint(key.privatePem)).toBe(`sha256:${createHash('sha256').update(spki).digest('hex')}`);
    expect(pemFingerprint('garbage')).toBeNull();
    expect(pemFingerprint(encryptedRsaKey())).toBeNull();
    expect(pemFingerprint('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----')).toBeNull();
  });
});
