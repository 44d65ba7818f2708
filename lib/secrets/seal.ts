/**
 * Sealing of Cloudflare upload and completion tokens for transport through SQS. A queued message must
 * carry the upload JWT to the upload function, but a person reading a DLQ (the replay dry run, the
 * console) must never see a usable token: the token travels encrypted (AES-256-GCM) under a key derived
 * from the API token, which only the functions hold. Tokens expire within the hour anyway; after an API
 * token rotation, old seals no longer open and the stage re-opens an upload session, like an expiry.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals and opens tokens. */
export interface TokenSealer {
  seal(token: string): string;
  /** The token, or `undefined` when the seal is not ours (tampered, or sealed under another key). */
  open(sealed: string): string | undefined;
}

/** Creates a sealer keyed by HKDF-SHA256 over `secret` (the Cloudflare API token). */
export function createTokenSealer(secret: string): TokenSealer {
  const key = Buffer.from(hkdfSync('sha256', secret, 'workers-drop', 'token-seal v1', 32));
  return {
    seal(token) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return PREFIX + Buffer.concat([iv, body]).toString('base64url');
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) return undefined;
      const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
