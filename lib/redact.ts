/**
 * Redaction of Cloudflare secrets. Every log line and every error message that leaves a process passes
 * through {@link redact}: JWT-shaped strings (the upload JWT and the completion token) and every secret
 * registered with {@link registerSecret} (the API token) are replaced.
 */

/** A JWT: three base64url segments, the first of which encodes `{"` (so it starts with `eyJ`). */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const REDACTED = '[redacted]';
/** Secrets shorter than this are not registered: replacing them would mangle ordinary words. */
const MIN_SECRET_LENGTH = 8;

const secrets = new Set<string>();

/** Registers a secret (for example the API token) so that it is redacted wherever it appears. */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
}

/** Returns `text` with JWTs and registered secrets replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text.replace(JWT_PATTERN, REDACTED);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Nesting kept as structure; anything deeper becomes its (redacted) JSON text. */
const MAX_DEPTH = 8;

/** Deeply redacts every string inside a JSON-like value; other values are returned unchanged. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return redactDeep(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, not assignment: a "__proto__" key stays an ordinary field instead of a prototype.
    Object.defineProperty(out, key, {
      value: redactValue(item, depth + 1),
      enumerable: true,
      writable: true,
    });
  }
  return out;
}

/** A value nested past {@link MAX_DEPTH}: its JSON text, redacted (never the object itself). */
function redactDeep(value: object): string {
  try {
    return redact(JSON.stringify(value) ?? '');
  } catch {
    return '[unserialisable]';
  }
}

/** True when `text` contains a JWT-shaped string or a registered secret (used by leak tests). */
export function containsSecret(text: string): boolean {
  JWT_PATTERN.lastIndex = 0;
  if (JWT_PATTERN.test(text)) return true;
  for (const secret of secrets) if (text.includes(secret)) return true;
  return false;
}
