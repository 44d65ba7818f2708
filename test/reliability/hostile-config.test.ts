/**
 * Hostile Worker config inside the artifact, end to end through ingest (real zips in s3rver, the real
 * reader, the real handlers): `main` outside the archive, bindings the platform does not offer, JSON vars,
 * enormous vars and denied compatibility flags. Each is a `rejected` result with its code and the config
 * entry named, and Cloudflare never hears of the build. With ALLOW_JSON_VARS the JSON vars deploy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMESPACE, type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { zipFiles } from '../../infra/local/zip.js';
import { createRecordingLogger } from '../../lib/log.js';
import { putArtifact, waitForResult } from '../helpers/local-stack.js';

const DENIED = ['experimental', 'unsafe_eval_everywhere'];

const base = {
  main: 'src/index.js',
  compatibility_date: '2025-01-15',
  assets: { directory: 'public' },
};

const artifact = (config: Record<string, unknown>, extra: Record<string, string> = {}) =>
  zipFiles({
    'wrangler.jsonc': JSON.stringify(config),
    'src/index.js': 'export default { fetch: (r, env) => env.ASSETS.fetch(r) };',
    'public/index.html': '<h1>hi</h1>',
    ...extra,
  });

const manyVars = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`VAR_${i}`, 'x']));

interface Row {
  name: string;
  config: Record<string, unknown>;
  extra?: Record<string, string>;
  code: string;
  /** What the message must say, when the code alone is shared with other causes. */
  says?: RegExp;
}

const ROWS: Row[] = [
  {
    name: 'main climbing out of the archive',
    config: { ...base, main: '../outside.js' },
    code: 'artifact.bad-config',
    says: /"main" \("\.\.\/outside\.js"\) points outside the archive/,
  },
  {
    name: 'main as an absolute path',
    config: { ...base, main: '/etc/passwd' },
    code: 'artifact.bad-config',
    says: /points outside the archive/,
  },
  {
    name: 'an assets directory outside the archive',
    config: { ...base, assets: { directory: '../../etc' } },
    code: 'artifact.bad-config',
    says: /"assets\.directory" .* points outside the archive/,
  },
  {
    name: 'main naming a file that is not there',
    config: { ...base, main: 'src/missing.js' },
    code: 'artifact.bad-config',
  },
  {
    name: 'main inside the public assets directory',
    config: { ...base, main: 'public/app.js' },
    extra: { 'public/app.js': 'export default {}' },
    code: 'artifact.bad-config',
  },
  {
    name: 'a KV namespace binding',
    config: { ...base, kv_namespaces: [{ binding: 'KV', id: 'abc' }] },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a service binding to another Worker',
    config: { ...base, services: [{ binding: 'S', service: 'globex--site' }] },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a Durable Object binding',
    config: { ...base, durable_objects: { bindings: [{ name: 'DO', class_name: 'X' }] } },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a D1 database binding',
    config: { ...base, d1_databases: [{ binding: 'DB', database_id: 'x' }] },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'an R2 bucket binding',
    config: { ...base, r2_buckets: [{ binding: 'R2', bucket_name: 'x' }] },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a queue producer binding',
    config: { ...base, queues: { producers: [{ binding: 'Q', queue: 'x' }] } },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a dispatch namespace binding',
    config: { ...base, dispatch_namespaces: [{ binding: 'NS', namespace: 'x' }] },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'an unsafe binding',
    config: { ...base, unsafe: { bindings: [{ type: 'kv_namespace', name: 'X' }] } },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'an object var (JSON vars are off)',
    config: { ...base, vars: { FLAGS: { admin: true } } },
    code: 'artifact.binding-not-allowed',
  },
  {
    name: 'a number var (JSON vars are off)',
    config: { ...base, vars: { LIMIT: 5 } },
    code: 'artifact.binding-not-allowed',
  },
  { name: '65 vars', config: { ...base, vars: manyVars }, code: 'artifact.vars-too-large' },
  {
    name: 'a 70 KiB var',
    config: { ...base, vars: { BIG: 'x'.repeat(70 * 1024) } },
    code: 'artifact.vars-too-large',
  },
  {
    name: 'a var named like no binding can be',
    config: { ...base, vars: { 'a-b': 'x' } },
    code: 'artifact.bad-config',
  },
  {
    name: 'a denied compatibility flag',
    config: { ...base, compatibility_flags: ['nodejs_compat', 'experimental'] },
    code: 'artifact.flag-not-allowed',
  },
  {
    name: 'a second denied flag',
    config: { ...base, compatibility_flags: ['unsafe_eval_everywhere'] },
    code: 'artifact.flag-not-allowed',
  },
  {
    name: 'a flag that is not a flag name',
    config: { ...base, compatibility_flags: ['nodejs compat'] },
    code: 'artifact.bad-config',
  },
];

describe('hostile Worker config in the artifact', () => {
  const log = createRecordingLogger({ service: 'hostile-config' });
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({
      overrides: { log },
      env: { DENIED_COMPATIBILITY_FLAGS: DENIED.join(','), RETRY_BASE_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(ROWS.map((row, index) => ({ ...row, script: `cfg-${index}` })))(
    'rejects $name with $code and never calls Cloudflare',
    async (row) => {
      await putArtifact(stack, `acme/${row.script}/b1.zip`, await artifact(row.config, row.extra));

      const result = await waitForResult(stack, `acme/${row.script}/b1`);

      expect(result).toMatchObject({ status: 'rejected', error: { category: 'user-input', code: row.code } });
      expect(result.error?.message).toMatch(row.says ?? /\S/);
      expect(JSON.stringify(result)).not.toContain('x'.repeat(1000));
      const calls = stack.emulator
        ?.stats()
        .requests.filter((request) => request.path.includes(`acme--${row.script}`));
      expect(calls).toEqual([]);
      expect(stack.emulator?.getScript(LOCAL_NAMESPACE, `acme--${row.script}`)).toBeUndefined();
    },
  );

  it('never sends what a wrangler env section asks for: environments are not applied', async () => {
    const config = {
      ...base,
      env: { production: { kv_namespaces: [{ binding: 'KV', id: 'x' }], vars: { A: 1 } } },
    };
    await putArtifact(stack, 'acme/envs/b1.zip', await artifact(config));

    const result = await waitForResult(stack, 'acme/envs/b1');

    expect(result.status).toBe('deployed');
    expect(stack.emulator?.getScript(LOCAL_NAMESPACE, 'acme--envs')?.metadata.bindings).toEqual([
      { type: 'assets', name: 'ASSETS' },
    ]);
  });

  it('deploys a config with plain-text vars and allowed flags (the rules are not a blanket refusal)', async () => {
    await putArtifact(
      stack,
      'acme/fine/b1.zip',
      await artifact({ ...base, compatibility_flags: ['nodejs_compat'], vars: { GREETING: 'hi' } }),
    );

    const result = await waitForResult(stack, 'acme/fine/b1');

    expect(result.status).toBe('deployed');
    expect(stack.emulator?.getScript(LOCAL_NAMESPACE, 'acme--fine')?.metadata).toMatchObject({
      compatibility_flags: ['nodejs_compat'],
      bindings: [
        { type: 'plain_text', name: 'GREETING', text: 'hi' },
        { type: 'assets', name: 'ASSETS' },
      ],
    });
  });
});

describe('JSON vars when ALLOW_JSON_VARS=true', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ env: { ALLOW_JSON_VARS: 'true' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('deploys object and number vars as json bindings, strings still as plain text', async () => {
    await putArtifact(
      stack,
      'acme/json/b1.zip',
      await artifact({ ...base, vars: { FLAGS: { beta: true }, LIMIT: 5, NAME: 'acme' } }),
    );

    const result = await waitForResult(stack, 'acme/json/b1');

    expect(result.status).toBe('deployed');
    expect(stack.emulator?.getScript(LOCAL_NAMESPACE, 'acme--json')?.metadata.bindings).toEqual([
      { type: 'json', name: 'FLAGS', json: { beta: true } },
      { type: 'json', name: 'LIMIT', json: 5 },
      { type: 'plain_text', name: 'NAME', text: 'acme' },
      { type: 'assets', name: 'ASSETS' },
    ]);
  });
});
