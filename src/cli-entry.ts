// How a parent process (the demo, the simulator process) starts this same build's command
// line: the compiled CLI beside this module under dist/, or, when running from the
// sources, bin/cli.ts through tsx. A child of the sources must not pick up a dist/ that
// may be older than they are, and a compiled child must not need tsx.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Node arguments that run the CLI; append the command and its options. */
export function cliEntryArgs(): string[] {
  if (!import.meta.url.endsWith('.ts')) return [fileURLToPath(new URL('../bin/cli.js', import.meta.url))];
  // Resolved here rather than by the child, which may start in another directory.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, fileURLToPath(new URL('../bin/cli.ts', import.meta.url))];
}
