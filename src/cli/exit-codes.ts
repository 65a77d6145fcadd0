// The CLI's exit codes and the one line a person reads when a command fails. Every failure
// ends here (bin/cli.ts), so no command prints a stack trace or picks its own code.
import { CommanderError } from 'commander';
import { EXIT, ErrorCode, exitCodeOf, isFleetError, type ExitCode } from '../errors.ts';

export { EXIT, type ExitCode } from '../errors.ts';

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

/**
 * The one mapping of any error to the CLI's exit code and the line to print (undefined:
 * commander already printed it). A fleet error's code decides (exitCodeOf); a file the
 * system could not read is an input error; anything else is a failure.
 */
export function describeFailure(err: unknown): { code: ExitCode; line?: string } {
  if (err instanceof CommanderError) {
    // Help and --version "fail" with 0; everything else commander reports is usage.
    return { code: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  if (isFleetError(err)) return { code: exitCodeOf(err.code), line: err.message };
  const e = err as Partial<NodeJS.ErrnoException> | null | undefined;
  if (typeof e?.code === 'string' && e.code in FILE_ERRORS && (typeof e.path === 'string' || e.syscall === 'read')) {
    const what = e.path === undefined ? 'the input' : e.path === '-' ? 'standard input' : e.path;
    return { code: exitCodeOf(ErrorCode.InputFile), line: `cannot read ${what}: ${FILE_ERRORS[e.code]}` };
  }
  if (err instanceof Error) return { code: EXIT.failure, line: err.message };
  return { code: EXIT.failure, line: String(err) };
}
