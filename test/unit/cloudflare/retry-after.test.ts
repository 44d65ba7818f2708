import { describe, expect, it } from 'vitest';
import { readRetryAfterMs } from '../../../lib/cloudflare/retry-after.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('readRetryAfterMs', () => {
  it.each([
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': '12.2', 'retry-after': '9' }, 13],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }, 7000],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after-ms': 'later', 'retry-after': '2' }, 2000],
    [{}, undefined],
  ])('reads %j as %s ms', (headers, expected) => {
    // Act
    const ms = readRetryAfterMs(new Headers(headers), NOW);

    // Assess
    expect(ms).toBe(expected);
  });

  it('reads nothing without headers', () => {
    expect(readRetryAfterMs(undefined, NOW)).toBeUndefined();
  });
});
