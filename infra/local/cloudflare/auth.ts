/**
 * Authentication: the API token (Bearer, or the legacy X-Auth-Email/X-Auth-Key pair) on account
 * endpoints, and only an unexpired upload JWT issued here on `assets/upload`. Swapping them fails.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, CF_CODES } from './api-error.js';
import type { ResolvedEmulatorOptions } from './options.js';
import type { Route } from './routes.js';
import type { TokenClaims, Tokens } from './tokens.js';

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const bearerOf = (headers: IncomingHttpHeaders): string | undefined => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  return match?.[1];
};

const unauthenticated = (message: string) =>
  new ApiError(401, CF_CODES.authentication, `Authentication error: ${message}`);
const refused = (message: string) =>
  new ApiError(403, CF_CODES.authentication, `Authentication error: ${message}`);

/** Checks the credentials of a request; returns the upload JWT's claims on `assets/upload`. */
export function authenticate(
  route: Route,
  params: Record<string, string>,
  headers: IncomingHttpHeaders,
  options: ResolvedEmulatorOptions,
  tokens: Tokens,
): TokenClaims | undefined {
  const bearer = bearerOf(headers);
  if (route.auth === 'upload') {
    if (bearer === undefined)
      throw unauthenticated('the upload endpoint needs the upload JWT as a Bearer token');
    if (bearer === options.apiToken)
      throw unauthenticated('the upload endpoint takes the upload JWT of a session, not the API token');
    const check = tokens.check(bearer, 'upload');
    if (!check.ok) {
      const why = {
        malformed: 'the token is not a JWT',
        signature: 'the JWT signature is invalid',
        expired: 'Expired JWT',
        'wrong-kind': 'the JWT is not an upload token',
      };
      throw unauthenticated(why[check.reason]);
    }
    if (check.claims.account !== params.account_id)
      throw unauthenticated('the JWT was issued for another account');
    return check.claims;
  }
  const email = header(headers, 'x-auth-email');
  const key = header(headers, 'x-auth-key');
  const tokenOk = bearer !== undefined && bearer === options.apiToken;
  const keyOk = bearer === undefined && email === options.apiEmail && key === options.apiKey;
  if (!tokenOk && !keyOk) {
    if (bearer === undefined && email === undefined && key === undefined)
      throw unauthenticated('no credentials were sent');
    if (bearer !== undefined && tokens.check(bearer, 'upload').ok)
      throw refused('an upload JWT cannot authenticate account endpoints');
    throw refused('the API token or key is not valid');
  }
  if (params.account_id !== options.accountId) {
    throw new ApiError(403, CF_CODES.forbidden, 'Unauthorized to access requested resource');
  }
  return undefined;
}
