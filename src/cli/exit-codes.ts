// The CLI's exit codes and the one line a person reads when a command fails. Every failure
// ends here (bin/cli.ts), so no command prints a stack trace or picks its own code.
import { CommanderError } from 'commander';

export const EXIT = {
  ok: 0,
  /** The command ran and failed: Redis or CXone unreachable, a refused request, a bad spec. */
  failure: 1,
  /** Bad usage: unknown command or option, a bad option value, a missing argument. */
  usage: 2,
  /** `sms send`: the batch went in, but some rows were rejected (reported per row). */
  rowsRejected: 3,
  /** An input file is missing or unreadable. */
  input: 4,
  /** The environment is invalid (each bad variable on its own line). */
  config: 5,
  /** Interrupted (SIGINT). */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success (also when the output pipe closes early, e.g. | head)
  1    the command failed (Redis or CXone unreachable, a refused request, an invalid spec)
  2    bad usage: unknown command or option, bad option value, missing argument
  3    sms send: some rows were rejected (each one is reported)
  4    an input file is missing or unreadable
  5    invalid configuration (each bad environment variable is named)
  130  interrupted

Options shared by every command:
  --show-pii   show phone numbers, addresses and message texts unmasked
  LOG_LEVEL=debug prints the stack of an unexpected error.`;

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

/** The exit code and the line to print (undefined: commander already printed it). */
export function describeFailure(err: unknown): { code: number; line?: string } {
  if (err instanceof CommanderError) {
    // Help and --version "fail" with 0; everything else commander reports is usage.
    return { code: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  const e = err as NodeJS.ErrnoException & { lines?: string[] };
  if (e?.name === 'ConfigError') return { code: EXIT.config, line: e.message };
  // A file that cannot be a batch (empty, no header naming the required columns).
  if (e?.code === 'INPUT_FILE') return { code: EXIT.input, line: e.message };
  if (typeof e?.code === 'string' && e.code in FILE_ERRORS && (typeof e.path === 'string' || e.syscall === 'read')) {
    const what = e.path === undefined ? 'the input' : e.path === '-' ? 'standard input' : e.path;
    return { code: EXIT.input, line: `cannot read ${what}: ${FILE_ERRORS[e.code]}` };
  }
  if (err instanceof Error) return { code: EXIT.failure, line: err.message };
  return { code: EXIT.failure, line: String(err) };
}
