/** Reads claims of Cloudflare's upload and completion JWTs without verifying them (as wrangler does). */

/** The `exp` claim (seconds since the epoch), or undefined when the token is not a readable JWT. */
export function readJwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
