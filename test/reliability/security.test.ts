/**
 * Where the Cloudflare API token lives, as SECURITY.md states it: an SSM SecureString read (decrypted)
 * once per cold start, registered for redaction at once, refused as a plain variable inside Lambda; and
 * queue messages carry tokens sealed under a key derived from it, so a rotation strands nothing.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../lib/config.js';
import { buildDeps } from '../../lib/deps.js';
import { createRecordingLogger } from '../../lib/log.js';
import { redact } from '../../lib/redact.js';
import { loadApiToken } from '../../lib/secrets/api-token.js';
import { createTokenSealer } from '../../lib/secrets/seal.js';
import { createHarness, TEST_ENV } from '../helpers/pipeline-harness.js';

const ssm = mockClient(SSMClient);
afterEach(() => {
  ssm.reset();
});

const { CLOUDFLARE_API_TOKEN: _plain, ...WITHOUT_TOKEN } = TEST_ENV;
const LAMBDA_ENV = {
  ...WITHOUT_TOKEN,
  AWS_LAMBDA_FUNCTION_NAME: 'workers-drop-prod-upload',
  CLOUDFLARE_API_TOKEN_PARAMETER: '/workers-drop/prod/cloudflare-api-token',
};

describe('the Cloudflare API token', () => {
  it('is read from SSM with decryption exactly once per cold start, and redacted from then on', async () => {
    const token = 'ssm-secret-token-7f3a9c1e5b';
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: `${token}\n` } });

    const deps = await buildDeps(readConfig(LAMBDA_ENV), 'upload', { log: createRecordingLogger() });

    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: '/workers-drop/prod/cloudflare-api-token', WithDecryption: true },
    ]);
    expect(redact(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer [redacted]');
    expect(deps.sealer.open(createTokenSealer(token).seal('jwt'))).toBe('jwt');
  });

  it.each([
    ['an empty parameter', { Parameter: { Value: '  ' } }],
    ['a parameter without a value', { Parameter: {} }],
  ])('fails the cold start with config.invalid on %s', async (_label, answer) => {
    ssm.on(GetParameterCommand).resolves(answer);

    await expect(loadApiToken(readConfig(LAMBDA_ENV), () => new SSMClient({}))).rejects.toMatchObject({
      code: 'config.invalid',
      category: 'bug',
    });
  });

  it('names the parameter, never a value, when SSM refuses', async () => {
    ssm.on(GetParameterCommand).rejects(new Error('AccessDeniedException: not authorized'));

    const error = await loadApiToken(readConfig(LAMBDA_ENV), () => new SSMClient({})).catch((e) => e);

    expect(error).toMatchObject({ code: 'config.invalid' });
    expect(error.message).toBe('Could not read the SSM parameter /workers-drop/prod/cloudflare-api-token.');
  });

  it('is refused as a plain environment variable inside Lambda', () => {
    expect(() => readConfig({ ...LAMBDA_ENV, CLOUDFLARE_API_TOKEN: 'plain-token-in-env' })).toThrow(
      /CLOUDFLARE_API_TOKEN must not be set in Lambda/,
    );
  });
});

describe('sealed tokens in queue messages', () => {
  it('carry no upload JWT in the clear, and a message sealed before a token rotation still ends deployed', async () => {
    const harness = createHarness();
    await harness.ingest(
      harness.upload('acme/site/b1.zip', {
        'worker.js': 'export default {}',
        'public/index.html': '<h1>hi</h1>',
        'public/a.css': 'a',
        'public/b.txt': 'b',
      }),
    );
    const bodies = JSON.stringify(harness.queues.upload);
    // The API token was rotated: the functions now hold a new one, and the old seals no longer open.
    harness.deps.sealer = createTokenSealer('rotated-api-token-0123456789');

    const outcomes = await harness.drain();

    expect(bodies).toMatch(/"token":"sealed:v1:/);
    expect(bodies).not.toMatch(/eyJ/);
    expect(outcomes[0]).toBe('reopened');
    expect(outcomes.at(-1)).toBe('deployed');
    expect(harness.store.read('results/acme/site/b1.json')).toMatchObject({
      status: 'deployed',
      counts: { uploadSessions: 2 },
    });
  });
});
