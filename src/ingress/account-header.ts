// A producer may name the CXone account it means (X-CXone-Account); an ingress serves one
// account (docs/adr/0006-accounts.md), so a request meant for another is refused before it
// could enqueue work into the wrong account's queues. Without the header, this account.
import type { RequestHandler } from 'express';
import { ErrorCode } from '../errors.ts';
import { HttpError } from './http-error.ts';

export const ACCOUNT_HEADER = 'X-CXone-Account';

export function accountGuard(accountId: string): RequestHandler {
  return (req, _res, next) => {
    const named = req.get(ACCOUNT_HEADER)?.trim();
    if (named === undefined || named === '' || named === accountId) {
      next();
      return;
    }
    const message = `this ingress serves CXone account "${accountId}", not "${named}"; send the request to that account's ingress`;
    next(new HttpError(ErrorCode.Validation, `${ACCOUNT_HEADER}: ${message}`, { issues: [{ path: `header ${ACCOUNT_HEADER}`, message }] }));
  };
}
