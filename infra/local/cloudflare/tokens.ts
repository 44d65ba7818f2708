/**
 * Upload and completion tokens: real three-part JWTs, HMAC-SHA256 signed with the emulator's secret, so
 * clients can decode `exp` as wrangler does while forgeries and swapped tokens are refused.
 * `wrangler_single_asset_uploads` is never set: the per-file upload path is not emulated.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'upload' | 'completion';

export interface TokenClaims {
  kind: TokenKind;
  account: string;
  namespace: string;
  script: string;
  session: string;
  iat: number;
  exp: number;
  /** The emulator's token generation; `expireAllTokens` moves it on. */
  gen: number;
  jti: string;
}

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'wrong-kind' };

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = encode({ alg: 'HS256', typ: 'JWT' });

/** Mints and checks tokens against `secret`, the emulator clock (ms) and the current generation. */
export function createTokens(options: {
  secret: Buffer;
  now: () => number;
  ttlSeconds: number;
  generation: () => number;
}) {
  const sign = (input: string): string =>
    createHmac('sha256', options.secret).update(input).digest('base64url');
  return {
    mint(
      kind: TokenKind,
      subject: Pick<TokenClaims, 'account' | 'namespace' | 'script' | 'session'>,
    ): string {
      const iat = Math.floor(options.now() / 1000);
      const claims: TokenClaims = {
        kind,
        ...subject,
        iat,
        exp: iat + options.ttlSeconds,
        gen: options.generation(),
        jti: randomUUID(),
      };
      const body = `${HEADER}.${encode(claims)}`;
      return `${body}.${sign(body)}`;
    },
    check(token: string, kind: TokenKind): TokenCheck {
      const [header, payload, signature, extra] = token.split('.');
      if (header === undefined || payload === undefined || signature === undefined || extra !== undefined) {
        return { ok: false, reason: 'malformed' };
      }
      const expected = Buffer.from(sign(`${header}.${payload}`));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given))
        return { ok: false, reason: 'signature' };
      let claims: TokenClaims;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (claims.kind !== kind) return { ok: false, reason: 'wrong-kind' };
      if (claims.gen !== options.generation() || claims.exp * 1000 <= options.now()) {
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, claims };
    },
  };
}

export type Tokens = ReturnType<typeof createTokens>;
