// The package's name, version and description, for --version and --help. This module runs
// from bin/ in the sources and from dist/bin/ once compiled, so the package.json is found
// by walking up rather than at a fixed relative path.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  version: string;
  description: string;
}

export function readPackageInfo(fromUrl: string, name = 'cxone-fleet'): PackageInfo {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageInfo>;
      if (pkg.name === name) return { name, version: pkg.version ?? '0.0.0', description: pkg.description ?? '' };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json of ${name} not found above ${fromUrl}`);
    dir = parent;
  }
}
