import { describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS, resolveClientOptions } from '../../../lib/cloudflare/options.js';
import { ConfigError } from '../../../lib/errors.js';

const base = { apiToken: 'token-1234567890', accountId: 'acc123' };

describe('resolveClientOptions', () => {
  it('applies the documented defaults', () => {
    // Act
    const resolved = resolveClientOptions(base);

    // Assess
    expect(resolved).toMatchObject({ ...CLIENT_DEFAULTS, baseURL: 'https://api.cloudflare.com/client/v4' });
    expect(resolved.retryAfterCapMs).toBe(60_000);
  });

  it('drops a trailing slash of the base URL', () => {
    expect(resolveClientOptions({ ...base, baseURL: 'http://127.0.0.1:9/client/v4/' }).baseURL).toBe(
      'http://127.0.0.1:9/client/v4',
    );
  });

  it.each([
    [{ apiToken: ' ' }],
    [{ accountId: 'has space' }],
    [{ retries: -1 }],
    [{ attemptTimeoutMs: 0 }],
    [{ maxConcurrentRequests: 0 }],
    [{ minRetryDelayMs: 100, maxRetryDelayMs: 50 }],
    [{ deletePageSize: 1001 }],
    [{ listPageSize: 1.5 }],
  ])('refuses %j with a ConfigError', (override) => {
    expect(() => resolveClientOptions({ ...base, ...override })).toThrow(ConfigError);
  });
});
