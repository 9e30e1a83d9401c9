/**
 * What an action (POST) must carry: this console's token, in a header a cross-site form cannot set; JSON (no
 * form post); and, when the browser names one, this console's origin.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header an action carries the token in. */
export const TOKEN_HEADER = 'x-mlops-token';

/** Why an action is refused, and its HTTP status. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/** Undefined when the request may act; otherwise why not. */
export function checkAction(request: IncomingMessage, token: string, port: number): Refusal | undefined {
  const origin = request.headers.origin;
  const origins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  if (origin !== undefined && !origins.includes(origin.toLowerCase()))
    return { status: 403, message: `Origin ${origin} may not act on this console` };
  if (request.headers['sec-fetch-site'] === 'cross-site')
    return { status: 403, message: 'A cross-site request may not act on this console' };
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return { status: 415, message: 'Actions take a JSON body (Content-Type: application/json)' };
  const given = request.headers[TOKEN_HEADER];
  if (typeof given !== 'string' || !sameToken(given, token))
    return {
      status: 403,
      message: 'Actions need the console token (X-Mlops-Token), printed in the start summary',
    };
  return undefined;
}

/** Compares in constant time: digests have one length whatever was sent. */
export function sameToken(given: string, token: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}
