import { describe, expect, it } from 'vitest';
import { readJwtExpiry } from '../../../lib/cloudflare/jwt.js';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('readJwtExpiry', () => {
  it.each([
    [`${segment({ alg: 'HS256' })}.${segment({ exp: 1_700_000_000 })}.sig`, 1_700_000_000],
    [`${segment({ alg: 'HS256' })}.${segment({ iat: 1 })}.sig`, undefined],
    [`${segment({ alg: 'HS256' })}.${segment({ exp: 'soon' })}.sig`, undefined],
    ['not-a-jwt', undefined],
    ['a.%%%.c', undefined],
  ])('reads exp from %s', (jwt, expected) => {
    expect(readJwtExpiry(jwt)).toBe(expected);
  });
});
