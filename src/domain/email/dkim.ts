// DKIM signing-key inspection. A bad key is the main cause of a channel stuck in PENDING,
// and CXone does not say why, so the key is checked here before anything is sent, and the
// DNS record the domain owner must publish is derived from it.
//
// Policy (RFC 8301, RFC 8463): RSA below 1024 bits is refused (verifiers must ignore such
// signatures); below 2048 is a warning (signers SHOULD use 2048); above 4096 is a warning
// (verifiers are only required to handle up to 4096). Ed25519 is accepted with a warning
// because not every receiver verifies it yet. Anything else (EC P-256, DSA, RSA-PSS...)
// has no DKIM algorithm and is refused.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export type DkimKeyType = 'rsa' | 'ed25519';

export type DkimInspection =
  | {
      ok: true;
      type: DkimKeyType;
      /** RSA modulus length; absent for ed25519. */
      bits?: number;
      warnings: string[];
      /** `${selector}._domainkey.${domain}`, lower-cased. */
      dnsRecordName: string;
      /** 'v=DKIM1; k=rsa; p=<base64 SPKI DER>' or 'v=DKIM1; k=ed25519; p=<base64 raw 32-byte key>'. */
      dnsTxtValue: string;
      /** 'sha256:<hex>' of the public key's SPKI DER: identifies the key without revealing it. */
      fingerprint: string;
    }
  | { ok: false; reason: string };

export const DKIM_RSA_MIN_BITS = 1024;
export const DKIM_RSA_RECOMMENDED_BITS = 2048;
export const DKIM_RSA_MAX_VERIFIED_BITS = 4096;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
/** A DNS label as RFC 6376 allows it in a selector or a signing domain. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** CRLF → LF and outer whitespace trimmed: the stray-whitespace PEM CXone chokes on. */
export function normalizePem(pem: string): string {
  return `${pem.replace(/\r\n?/g, '\n').trim()}\n`;
}

function isDnsName(name: string, minLabels: number): boolean {
  const labels = name.split('.');
  return name.length <= 253 && labels.length >= minLabels && labels.every((l) => LABEL.test(l));
}

/** Reason the text is not a single unencrypted private-key PEM, or null when it is one. */
function pemShapeProblem(pem: string): string | null {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) return 'not a PEM-encoded key (no -----BEGIN ...----- / -----END ...----- block)';
  if (blocks.length > 1) return `expected one PEM block, found ${blocks.length}: supply only the private key`;
  const [block] = blocks;
  const label = block?.[1] ?? '';
  const body = block?.[2] ?? '';
  const outside = pem.replace(block?.[0] ?? '', '').trim();
  if (outside !== '') return 'unexpected text outside the PEM block';
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(body)) {
    return 'the private key is encrypted (passphrase-protected); CXone needs an unencrypted key: decrypt it with `openssl pkey -in key.pem -out plain.pem`';
  }
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY') {
    return 'this is a public key; DKIM signing needs the private key (the public key goes in DNS)';
  }
  if (label === 'CERTIFICATE') return 'this is a certificate; DKIM signing needs the private key';
  if (label === 'EC PRIVATE KEY') return 'EC (ECDSA) keys have no DKIM algorithm; use RSA (2048 bits) or ed25519';
  if (label !== 'PRIVATE KEY' && label !== 'RSA PRIVATE KEY') return `unsupported PEM block "${label}"; expected a private key`;
  return null;
}

/** 'sha256:<hex>' of the SPKI DER of the key's public half. */
export function publicKeyFingerprint(key: KeyObject): string {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Fingerprint of a PEM private key, or null when it cannot be read. Never throws. */
export function pemFingerprint(pem: string): string | null {
  if (pemShapeProblem(pem) !== null) return null;
  try {
    return publicKeyFingerprint(createPrivateKey({ key: pem, format: 'pem' }));
  } catch {
    return null;
  }
}

function dnsPublicKey(key: KeyObject, type: DkimKeyType): string {
  const pub = createPublicKey(key);
  if (type === 'rsa') return pub.export({ type: 'spki', format: 'der' }).toString('base64');
  // RFC 8463: p= is the bare 32-byte Ed25519 key, not an SPKI structure.
  const { x } = pub.export({ format: 'jwk' });
  return Buffer.from(x ?? '', 'base64url').toString('base64');
}

/** What is wrong with a selector / signing domain as DNS names, or null. */
export function dkimNameProblem(selector: string, domain: string): { field: 'selector' | 'domain'; reason: string } | null {
  if (!isDnsName(selector.trim().toLowerCase(), 1)) {
    return { field: 'selector', reason: `invalid DKIM selector "${selector}": dot-separated DNS labels of letters, digits and hyphens` };
  }
  if (!isDnsName(domain.trim().toLowerCase().replace(/\.$/, ''), 2)) {
    return { field: 'domain', reason: `invalid DKIM domain "${domain}": a DNS name with at least two labels` };
  }
  return null;
}

export function inspectDkimKey(pem: string, selector: string, domain: string): DkimInspection {
  if (typeof pem !== 'string' || pem.trim() === '') return { ok: false, reason: 'the private key is empty' };
  const nameProblem = dkimNameProblem(selector, domain);
  if (nameProblem) return { ok: false, reason: nameProblem.reason };
  const sel = selector.trim().toLowerCase();
  const dom = domain.trim().toLowerCase().replace(/\.$/, '');

  const normalized = normalizePem(pem);
  const shape = pemShapeProblem(normalized);
  if (shape !== null) return { ok: false, reason: shape };

  let key: KeyObject;
  try {
    key = createPrivateKey({ key: normalized, format: 'pem' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') return { ok: false, reason: 'the private key is encrypted (passphrase-protected); CXone needs an unencrypted key' };
    return { ok: false, reason: `the private key cannot be read (corrupt or truncated PEM): ${(err as Error).message}` };
  }

  const warnings: string[] = [];
  let type: DkimKeyType;
  let bits: number | undefined;
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      type = 'rsa';
      bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < DKIM_RSA_MIN_BITS) {
        return { ok: false, reason: `RSA key is ${bits} bits; DKIM requires at least ${DKIM_RSA_MIN_BITS} (RFC 8301), use ${DKIM_RSA_RECOMMENDED_BITS}` };
      }
      if (bits < DKIM_RSA_RECOMMENDED_BITS) warnings.push(`RSA key is ${bits} bits; ${DKIM_RSA_RECOMMENDED_BITS} is recommended (RFC 8301) and some receivers distrust shorter keys`);
      if (bits > DKIM_RSA_MAX_VERIFIED_BITS) warnings.push(`RSA key is ${bits} bits; verifiers are only required to handle up to ${DKIM_RSA_MAX_VERIFIED_BITS} (RFC 8301)`);
      break;
    }
    case 'ed25519':
      type = 'ed25519';
      warnings.push('ed25519 DKIM (RFC 8463) is not verified by every receiver; consider also signing with an RSA key');
      break;
    case 'ec':
      return { ok: false, reason: 'EC (ECDSA) keys have no DKIM algorithm; use RSA (2048 bits) or ed25519' };
    case 'rsa-pss':
      return { ok: false, reason: 'RSA-PSS keys are not usable for DKIM (rsa-sha256 uses PKCS#1 v1.5); generate a plain RSA key' };
    default:
      return { ok: false, reason: `unsupported key type "${key.asymmetricKeyType ?? 'unknown'}"; DKIM uses RSA or ed25519` };
  }

  const result: DkimInspection = {
    ok: true,
    type,
    warnings,
    dnsRecordName: `${sel}._domainkey.${dom}`,
    dnsTxtValue: `v=DKIM1; k=${type}; p=${dnsPublicKey(key, type)}`,
    fingerprint: publicKeyFingerprint(key),
  };
  if (bits !== undefined) result.bits = bits;
  return result;
}
