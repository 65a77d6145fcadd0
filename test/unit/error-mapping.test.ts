// The closed error vocabulary and its two mappings: every code has an HTTP status and a CLI
// exit code, and any error, fleet or not, maps to exactly one of each.
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { describeFailure, EXIT } from '../../src/cli/exit-codes.ts';
import { ConfigError } from '../../src/config.ts';
import {
  CxoneHttpError,
  ERROR_CODES,
  ErrorCode,
  EXIT as EXIT_FROM_ERRORS,
  PermanentError,
  RateLimitedError,
  TransientError,
  ValidationError,
  exitCodeOf,
  httpStatusOf,
  isErrorCode,
} from '../../src/errors.ts';
import { errorAnswer } from '../../src/ingress/errors-middleware.ts';
import { HttpError, RedisUnavailableError } from '../../src/ingress/http-error.ts';
import { InputFileError } from '../../src/sms/row-reader.ts';

const EXIT_CODES = new Set<number>(Object.values(EXIT));

describe('the error vocabulary', () => {
  it('is a closed set of distinct UPPER_SNAKE codes', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES).toEqual(Object.values(ErrorCode));
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(isErrorCode('NOT_FOUND')).toBe(true);
    expect(isErrorCode('HTTP_418')).toBe(false);
    expect(isErrorCode(404)).toBe(false);
  });

  it.each(ERROR_CODES)('%s has an error status and a failing exit code', (code) => {
    const status = httpStatusOf(code);
    expect(Number.isInteger(status) && status >= 400 && status <= 599).toBe(true);
    const exit = exitCodeOf(code);
    expect(EXIT_CODES.has(exit)).toBe(true);
    expect(exit).not.toBe(EXIT.ok);
  });

  it('gives input and configuration errors their own exit codes, every other code 1', () => {
    expect(exitCodeOf(ErrorCode.InputFile)).toBe(4);
    expect(exitCodeOf(ErrorCode.ConfigInvalid)).toBe(5);
    const plain = ERROR_CODES.filter((c) => c !== ErrorCode.InputFile && c !== ErrorCode.ConfigInvalid);
    for (const code of plain) expect(exitCodeOf(code), code).toBe(EXIT.failure);
    expect(EXIT).toBe(EXIT_FROM_ERRORS);
  });

  it('maps the statuses the control API documents', () => {
    expect(httpStatusOf(ErrorCode.Validation)).toBe(400);
    expect(httpStatusOf(ErrorCode.Unauthorized)).toBe(401);
    expect(httpStatusOf(ErrorCode.NotFound)).toBe(404);
    expect(httpStatusOf(ErrorCode.PayloadTooLarge)).toBe(413);
    expect(httpStatusOf(ErrorCode.UnsupportedMediaType)).toBe(415);
    expect(httpStatusOf(ErrorCode.IdempotencyInProgress)).toBe(409);
    expect(httpStatusOf(ErrorCode.IdempotencyKeyReused)).toBe(422);
    expect(httpStatusOf(ErrorCode.NotImplemented)).toBe(501);
    expect(httpStatusOf(ErrorCode.Unavailable)).toBe(503);
    expect(httpStatusOf(ErrorCode.CxoneServerError)).toBe(502);
  });
});

describe('errorAnswer: any error to one HTTP answer', () => {
  it.each(ERROR_CODES)('a fleet error coded %s answers with its status and code', (code) => {
    const a = errorAnswer(new PermanentError(`failed with ${code}`, { code }));
    expect(a.status).toBe(httpStatusOf(code));
    expect(a.body).toEqual({ error: { code, message: `failed with ${code}` } });
    const h = errorAnswer(new HttpError(code, 'refused', { field: 'x' }));
    expect(h.status).toBe(httpStatusOf(code));
    expect(h.body).toEqual({ error: { code, message: 'refused', details: { field: 'x' } } });
  });

  it('sends a validation error\'s fields, but not what CXone answered', () => {
    const v = errorAnswer(new ValidationError('spec', [{ path: 'smtp.port', message: 'must be an integer' }]));
    expect(v).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', details: { issues: [{ path: 'smtp.port', message: 'must be an integer' }] } } }, log: 'none' });
    const c = errorAnswer(new CxoneHttpError('CXone said no', 500, 'sms.send', { code: ErrorCode.CxoneServerError, retryable: true, details: { response: { secret: 1 } } }));
    expect(c).toMatchObject({ status: 502, body: { error: { code: 'CXONE_SERVER_ERROR', message: 'CXone said no' } }, log: 'error' });
    expect(c.body.error).not.toHaveProperty('details');
  });

  it('tells a rate-limited or unavailable caller when to retry', () => {
    expect(errorAnswer(new RateLimitedError('slow down', 2500))).toMatchObject({ status: 429, headers: { 'Retry-After': '3' } });
    expect(errorAnswer(new RedisUnavailableError())).toMatchObject({ status: 503, body: { error: { code: 'UNAVAILABLE' } }, headers: { 'Retry-After': '2' }, log: 'warn' });
    expect(errorAnswer(new TransientError('token', { code: ErrorCode.TokenUnavailable })).status).toBe(503);
  });

  it('keeps body-parser client errors in the vocabulary and hides everything else', () => {
    const parserError = (status: number) => Object.assign(new Error(`parser ${status}`), { status, expose: true });
    expect(errorAnswer(parserError(413))).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'parser 413' } } });
    expect(errorAnswer(parserError(400))).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(errorAnswer(parserError(403))).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(errorAnswer(new Error('secret detail'))).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } }, headers: {}, log: 'error' });
    expect(errorAnswer('a string').status).toBe(500);
  });
});

describe('describeFailure: any error to one exit code and line', () => {
  it.each(ERROR_CODES)('a fleet error coded %s exits with exitCodeOf and its message', (code) => {
    expect(describeFailure(new TransientError('it broke', { code }))).toEqual({ code: exitCodeOf(code), line: 'it broke' });
  });

  it('names usage, configuration, input files and the rest', () => {
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', 'x'))).toEqual({ code: EXIT.usage });
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', 'x'))).toEqual({ code: EXIT.ok });
    expect(describeFailure(new ConfigError(['REDIS_URL: required']))).toMatchObject({ code: EXIT.config, line: expect.stringContaining('REDIS_URL: required') });
    expect(describeFailure(new InputFileError('empty file'))).toEqual({ code: EXIT.input, line: 'empty file' });
    const enoent = Object.assign(new Error('ENOENT'), { code: 'ENOENT', path: 'rows.csv', syscall: 'open' });
    expect(describeFailure(enoent)).toEqual({ code: EXIT.input, line: 'cannot read rows.csv: no such file' });
    expect(describeFailure(new Error('boom'))).toEqual({ code: EXIT.failure, line: 'boom' });
    expect(describeFailure(undefined)).toEqual({ code: EXIT.failure, line: 'undefined' });
  });
});
