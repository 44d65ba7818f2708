import { afterEach, describe, expect, it } from 'vitest';
import type { CloudflareApi } from '../../../lib/cloudflare/types.js';
import { containsSecret, redact } from '../../../lib/redact.js';
import {
  assetFile,
  type CloudflareHarness,
  manifestOf,
  NAMESPACE,
  startCloudflareHarness,
  workerModule,
} from '../../helpers/cloudflare.js';

const site = { '/index.html': assetFile('<h1>hi</h1>', 'text/html') };
const files = Object.values(site);

/** Every place a token could leak from a failure: message, JSON form, stack and the log lines. */
function exposedText(error: unknown, harness: CloudflareHarness): string {
  const err = error as Error & { toJSON?: () => unknown };
  return [
    err.message,
    JSON.stringify(err.toJSON?.()),
    err.stack ?? '',
    JSON.stringify(harness.log.lines),
  ].join('\n');
}

describe('lib/cloudflare never exposes tokens', () => {
  let harness: CloudflareHarness;
  afterEach(async () => {
    await harness.close();
  });

  const scenarios: Array<[string, (h: CloudflareHarness, client: CloudflareApi) => Promise<unknown>]> = [
    [
      'an API error message that echoes the API token and a JWT',
      async (h, client) => {
        const session = await client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
        h.emulator.faults.once('script-put', {
          type: 'status',
          status: 400,
          code: 10021,
          message: `token ${h.emulator.apiToken} and jwt ${session.jwt} rejected`,
        });
        return client.deployScript(NAMESPACE, 'site', {
          modules: [workerModule()],
          metadata: { main_module: 'index.js' },
        });
      },
    ],
    [
      'an expired upload JWT',
      async (h, client) => {
        const session = await client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
        h.emulator.advanceClock(7200_000);
        return client.uploadBucket(session.jwt, files);
      },
    ],
    [
      'an expired completion token on the PUT',
      async (h, client) => {
        const session = await client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
        const result = await client.uploadBucket(session.jwt, files);
        h.emulator.expireAllTokens();
        const jwt = result.status === 'complete' ? result.completionToken : session.jwt;
        return client.deployScript(NAMESPACE, 'site', {
          modules: [workerModule()],
          metadata: { main_module: 'index.js', assets: { jwt } },
        });
      },
    ],
    [
      'retries exhausted on 429s that carry the token in the message',
      async (h, client) => {
        h.emulator.faults.once(
          'list',
          { type: 'status', status: 429, retryAfterMs: 1, message: `slow down ${h.emulator.apiToken}` },
          5,
        );
        return client.listScripts(NAMESPACE);
      },
    ],
  ];

  it.each(scenarios)('keeps secrets out of the error and the logs for %s', async (_label, scenario) => {
    // Prepare
    harness = await startCloudflareHarness({ apiToken: 'emulator-secret-api-token-123456' });

    // Act
    const error = await scenario(harness, harness.client).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(Error);
    const text = exposedText(error, harness);
    expect(containsSecret(text)).toBe(false);
    expect(text).not.toContain(harness.emulator.apiToken);
  });

  it('keeps the useful part of an API message, redacted', async () => {
    // Prepare
    harness = await startCloudflareHarness({ apiToken: 'emulator-secret-api-token-123456' });
    harness.emulator.faults.once('script-put', {
      type: 'status',
      status: 400,
      code: 10021,
      message: `Uncaught SyntaxError at index.js:3 (token ${harness.emulator.apiToken})`,
    });

    // Act
    const error = await harness.client
      .deployScript(NAMESPACE, 'site', { modules: [workerModule()], metadata: { main_module: 'index.js' } })
      .catch((caught: unknown) => caught);

    // Assess
    expect((error as Error).message).toBe(
      redact(
        'Cloudflare deployScript failed with HTTP 400 (Cloudflare code 10021): Uncaught SyntaxError at index.js:3 (token [redacted])',
      ),
    );
  });
});
