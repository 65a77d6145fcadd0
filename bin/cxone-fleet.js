#!/usr/bin/env node
// The `cxone-fleet` command. It runs the compiled CLI (dist/, `npm run build`; the only
// form the image ships). In a clone that was never built it runs the TypeScript sources
// through tsx, a dev dependency, so `npx cxone-fleet` works right after `npm ci`.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/bin/cli.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
