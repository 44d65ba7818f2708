/** Reads how long Cloudflare asks us to wait (`retry-after-ms`, then `Retry-After`). */

/**
 * Milliseconds to wait, or undefined when neither header is usable. `retry-after-ms` (a number of
 * milliseconds) wins; `Retry-After` is seconds or an HTTP date, as RFC 9110 allows.
 */
export function readRetryAfterMs(headers: Headers | undefined, nowMs: number): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(?:\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
