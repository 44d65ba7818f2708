import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'cloudflare';
import { describe, expect, it } from 'vitest';
import { readJwtExpiry } from '../../../lib/cloudflare/jwt.js';
import {
  AttemptTimeoutError,
  type ErrorContext,
  InvalidResponseError,
  isRetryable,
  mapCloudflareError,
} from '../../../lib/cloudflare/map-error.js';
import { CloudflareApiError, PipelineError } from '../../../lib/errors.js';
import { containsSecret } from '../../../lib/redact.js';

const NOW = 1_800_000_000_000;
const context = (extra: Partial<ErrorContext> = {}): ErrorContext => ({
  operation: 'listScripts',
  now: () => NOW,
  readExpiry: readJwtExpiry,
  ...extra,
});
const apiError = (
  status: number,
  codes: number[] = [],
  headers: Record<string, string> = {},
  message = 'nope',
) =>
  APIError.generate(
    status,
    { success: false, errors: codes.map((code) => ({ code, message })), messages: [], result: null },
    undefined,
    new Headers(headers),
  );
const jwt = (exp: number) =>
  `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.c2lnbmF0dXJl`;

describe('mapCloudflareError', () => {
  it.each([
    [429, [971], 'cloudflare.rate-limited', 'transient'],
    [500, [10002], 'cloudflare.server-error', 'transient'],
    [502, [], 'cloudflare.server-error', 'transient'],
    [524, [], 'cloudflare.server-error', 'transient'],
    [408, [], 'cloudflare.timeout', 'transient'],
    [401, [10000], 'cloudflare.auth', 'upstream-rejected'],
    [403, [10000], 'cloudflare.forbidden', 'upstream-rejected'],
    [404, [10007], 'cloudflare.not-found', 'upstream-rejected'],
    [400, [10021], 'cloudflare.bad-request', 'upstream-rejected'],
    [409, [], 'cloudflare.bad-request', 'upstream-rejected'],
    [413, [], 'cloudflare.bad-request', 'upstream-rejected'],
  ])('maps HTTP %i %j to %s (%s)', (status, codes, code, category) => {
    // Act
    const mapped = mapCloudflareError(apiError(status, codes), context());

    // Assess
    expect(mapped).toBeInstanceOf(CloudflareApiError);
    expect(mapped).toMatchObject({ code, category, status, apiCodes: codes });
  });

  it.each([10021, 10006, 10027])(
    'maps a script PUT refused with %i to script-rejected (user-input)',
    (apiCode) => {
      expect(
        mapCloudflareError(apiError(400, [apiCode]), context({ operation: 'deployScript' })),
      ).toMatchObject({
        code: 'cloudflare.script-rejected',
        category: 'user-input',
      });
    },
  );

  it.each([401, 403])('maps %i on assets/upload to token-expired', (status) => {
    expect(
      mapCloudflareError(apiError(status, [10000]), context({ operation: 'uploadBucket', uploadJwt: true })),
    ).toMatchObject({
      code: 'cloudflare.token-expired',
      category: 'transient',
    });
  });

  it.each([
    ['an expired completion token', jwt(NOW / 1000 - 1), [10021], 'irrelevant'],
    ['an authentication error', jwt(NOW / 1000 + 3600), [10000], 'Authentication error'],
    ['a message naming the JWT', jwt(NOW / 1000 + 3600), [10021], 'assets.jwt is invalid'],
  ])('maps a refused PUT with %s to token-expired', (_label, token, codes, message) => {
    expect(
      mapCloudflareError(
        apiError(400, codes, {}, message),
        context({ operation: 'deployScript', completionToken: token }),
      ),
    ).toMatchObject({ code: 'cloudflare.token-expired' });
  });

  it('keeps script-rejected for a PUT without assets whose script is invalid', () => {
    expect(
      mapCloudflareError(
        apiError(400, [10021], {}, 'Uncaught SyntaxError'),
        context({ operation: 'deployScript' }),
      ),
    ).toMatchObject({
      code: 'cloudflare.script-rejected',
    });
  });

  it('carries Retry-After of a 429 as retryAfterMs', () => {
    expect(mapCloudflareError(apiError(429, [971], { 'retry-after': '7' }), context())).toMatchObject({
      retryAfterMs: 7000,
    });
  });

  it.each([
    [new AttemptTimeoutError(10), 'cloudflare.timeout'],
    [new APIConnectionTimeoutError(), 'cloudflare.timeout'],
    [new APIUserAbortError(), 'cloudflare.timeout'],
    [new APIConnectionError({ cause: new Error('ECONNRESET') }), 'cloudflare.connection'],
    [new TypeError('terminated'), 'cloudflare.connection'],
    [new InvalidResponseError('a null result'), 'cloudflare.invalid-response'],
    [new SyntaxError('Unexpected token <'), 'cloudflare.invalid-response'],
  ])('maps %s to %s', (error, code) => {
    expect(mapCloudflareError(error, context())).toMatchObject({ code, category: 'transient' });
  });

  it('passes pipeline errors and unknown programming errors through unchanged', () => {
    const pipeline = new PipelineError('tag.invalid', 'bad tag');
    const bug = new RangeError('bug');
    expect(mapCloudflareError(pipeline, context())).toBe(pipeline);
    expect(mapCloudflareError(bug, context())).toBe(bug);
  });

  it('never copies the raw body or a token into the message', () => {
    // Prepare
    const token = jwt(NOW / 1000 + 60);
    const error = apiError(400, [10021], {}, `bad metadata near "${token}"`);

    // Act
    const mapped = mapCloudflareError(error, context({ operation: 'deployScript' })) as Error;

    // Assess
    expect(error.message).toContain(token);
    expect(containsSecret(mapped.message)).toBe(false);
    expect(mapped.message).toBe(
      'Cloudflare deployScript failed with HTTP 400 (Cloudflare code 10021): bad metadata near "[redacted]"',
    );
  });
});

describe('isRetryable', () => {
  it.each([
    ['cloudflare.server-error', true],
    ['cloudflare.rate-limited', true],
    ['cloudflare.timeout', true],
    ['cloudflare.connection', true],
    ['cloudflare.invalid-response', true],
    ['cloudflare.token-expired', false],
    ['cloudflare.bad-request', false],
    ['cloudflare.script-rejected', false],
  ] as const)('%s -> %s', (code, expected) => {
    expect(isRetryable(new CloudflareApiError(code, 'x'))).toBe(expected);
  });
});
