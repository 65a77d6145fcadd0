// Finds a Chromium for the browser test, so `npm ci && npm test` needs no apt step:
// CHROMIUM_PATH, else Debian's /usr/bin/chromium, else the binary shipped (brotli-compressed)
// inside the @sparticuz/chromium dev dependency, unpacked to the temp directory on first use.
// That build links a few libraries (NSS, NSPR, expat) a bare machine may lack; the package
// carries them too, and they are unpacked and put on the browser's library path when missing.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

export interface FoundChromium {
  executablePath: string;
  source: 'CHROMIUM_PATH' | 'debian' | '@sparticuz/chromium';
  /** Environment for the browser process (a library path when the bundled libraries are needed). */
  env: Record<string, string | undefined>;
}

const DEBIAN = '/usr/bin/chromium';

function missingLibraries(binary: string): boolean {
  try {
    return /not found/.test(execFileSync('ldd', [binary], { encoding: 'utf8' }));
  } catch {
    return false; // no ldd: let the launch say what is wrong
  }
}

async function unpackBundledLibraries(binDir: string): Promise<string> {
  const libDir = path.join(tmpdir(), 'al2023', 'lib');
  if (existsSync(path.join(libDir, 'libnss3.so'))) return libDir;
  mkdirSync(path.join(tmpdir(), 'al2023'), { recursive: true });
  const tar = spawn('tar', ['-x', '-C', path.join(tmpdir(), 'al2023')], { stdio: ['pipe', 'ignore', 'inherit'] });
  await pipeline(createReadStream(path.join(binDir, 'al2023.tar.br')), createBrotliDecompress(), tar.stdin);
  const [code] = (await once(tar, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`unpacking the libraries bundled with @sparticuz/chromium failed (tar exit ${code})`);
  return libDir;
}

export async function findChromium(env: Record<string, string | undefined> = process.env, opts: { skipSystem?: boolean } = {}): Promise<FoundChromium> {
  if (env.CHROMIUM_PATH && !opts.skipSystem) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist`);
    return { executablePath: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH', env: {} };
  }
  if (existsSync(DEBIAN) && !opts.skipSystem) return { executablePath: DEBIAN, source: 'debian', env: {} };
  let sparticuz: { executablePath(): Promise<string> };
  try {
    sparticuz = ((await import('@sparticuz/chromium')) as { default: typeof sparticuz }).default;
  } catch (err) {
    throw new Error(`no Chromium: set CHROMIUM_PATH, install Debian's chromium, or run npm ci (the @sparticuz/chromium dev dependency): ${(err as Error).message}`);
  }
  const executablePath = await sparticuz.executablePath();
  if (!missingLibraries(executablePath)) return { executablePath, source: '@sparticuz/chromium', env: {} };
  const binDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', 'bin');
  const libDir = await unpackBundledLibraries(binDir);
  const ldPath = [libDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { executablePath, source: '@sparticuz/chromium', env: { LD_LIBRARY_PATH: ldPath } };
}
