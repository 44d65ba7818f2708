import { createHash } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildS3EventRecord } from '../../../infra/local/s3-notifications.js';
import {
  LOCAL_ARTIFACTS_BUCKET,
  LOCAL_NAMESPACE,
  type LocalStack,
  startLocalStack,
} from '../../../infra/local/stack.js';
import { zipFiles } from '../../../infra/local/zip.js';
import { createRecordingLogger } from '../../../lib/log.js';
import { containsSecret, registerSecret } from '../../../lib/redact.js';
import { eventually, putArtifact, waitForResult } from '../../helpers/local-stack.js';

const log = createRecordingLogger({ service: 'pipeline-test' });
let stack: LocalStack;

const site = (title: string): Record<string, string | Buffer> => ({
  'wrangler.jsonc': JSON.stringify({
    main: 'src/index.js',
    compatibility_date: '2025-01-15',
    compatibility_flags: ['nodejs_compat'],
    assets: { directory: 'public', html_handling: 'auto-trailing-slash', not_found_handling: '404-page' },
    vars: { GREETING: `hello ${title}` },
  }),
  'src/index.js':
    "import { hi } from './lib/hi.js';\nexport default { fetch: (r, env) => env.ASSETS.fetch(r) };\nhi();\n",
  'src/lib/hi.js': 'export const hi = () => 1;\n',
  'public/index.html': `<h1>${title}</h1>`,
  'public/css/site.css': 'body { color: red }',
  'public/img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]),
  'public/data/blob.xyz123': 'opaque',
  'public/_headers': '/*\n  X-Test: yes\n',
  'public/_redirects': '/old /new 301\n',
});

beforeAll(async () => {
  stack = await startLocalStack({
    overrides: { log },
    stages: {
      finalize: { visibilityTimeoutSeconds: 2 },
      ingest: { visibilityTimeoutSeconds: 2 },
      upload: { visibilityTimeoutSeconds: 2 },
    },
    emulator: { bucketMaxFiles: 2 },
    env: { CLOUDFLARE_RETRIES: '1', RETRY_BASE_SECONDS: '1' },
  });
  registerSecret(stack.emulator?.apiToken);
});
afterAll(async () => {
  await stack.close();
});

const script = (name: string) => stack.emulator?.getScript(LOCAL_NAMESPACE, name);

describe('the pipeline over real wire protocols (s3rver, local SQS, the Cloudflare emulator)', () => {
  it('deploys zips of several tenants and stores exactly what the artifacts hold', async () => {
    const acme = site('acme');
    const globex = site('globex');

    await putArtifact(stack, 'acme/site/b1.zip', await zipFiles(acme), 'plan-pro');
    await putArtifact(stack, 'globex/site/b1.zip', await zipFiles(globex));
    const [acmeResult, globexResult] = await Promise.all([
      waitForResult(stack, 'acme/site/b1'),
      waitForResult(stack, 'globex/site/b1'),
    ]);

    expect(acmeResult).toMatchObject({
      status: 'deployed',
      scriptName: 'acme--site',
      tags: ['tenant-acme', 'plan-pro'],
    });
    expect(globexResult).toMatchObject({
      status: 'deployed',
      scriptName: 'globex--site',
      tags: ['tenant-globex'],
    });
    const deployed = script('acme--site');
    expect(deployed?.tags).toEqual(['tenant-acme', 'plan-pro']);
    expect([...(deployed?.modules.keys() ?? [])].sort()).toEqual(['index.js', 'lib/hi.js']);
    expect(deployed?.modules.get('index.js')?.contentType).toBe('application/javascript+module');
    expect(deployed?.modules.get('lib/hi.js')?.content.toString()).toBe(acme['src/lib/hi.js']?.toString());
    expect(deployed?.metadata).toMatchObject({
      main_module: 'index.js',
      compatibility_date: '2025-01-15',
      compatibility_flags: ['nodejs_compat'],
      bindings: [
        { type: 'plain_text', name: 'GREETING', text: 'hello acme' },
        { type: 'assets', name: 'ASSETS' },
      ],
      assets: {
        config: {
          html_handling: 'auto-trailing-slash',
          not_found_handling: '404-page',
          _headers: acme['public/_headers']?.toString(),
          _redirects: acme['public/_redirects']?.toString(),
        },
      },
    });
    const assets = deployed?.assets ?? new Map();
    expect([...assets.keys()].sort()).toEqual([
      '/css/site.css',
      '/data/blob.xyz123',
      '/img/logo.png',
      '/index.html',
    ]);
    for (const [path, asset] of assets) {
      expect(asset.content.equals(Buffer.from(acme[`public${path}`] ?? ''))).toBe(true);
    }
    expect(assets.get('/css/site.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(assets.get('/img/logo.png')?.contentType).toBe('image/png');
    expect(assets.get('/data/blob.xyz123')?.contentType).toBeNull();
    expect(assets.get('/index.html')?.hash).not.toBe(script('globex--site')?.assets.get('/index.html')?.hash);
  });

  it('HEADs the archive once per build: upload and finalize open it with the size ingest recorded', async () => {
    // Prepare: count the artifact requests each command makes (bucket size 2: several upload stages).
    const commands: string[] = [];
    const name = 'countArtifactRequests';
    stack.deps.s3.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Bucket?: string; Key?: string };
        if (input.Bucket === LOCAL_ARTIFACTS_BUCKET && input.Key === 'acme/heads/b1.zip')
          commands.push(context.commandName ?? 'unknown');
        return next(args);
      },
      { step: 'initialize', name },
    );

    const body = await zipFiles(site('heads'));

    // Act
    try {
      await putArtifact(stack, 'acme/heads/b1.zip', body);
      const result = await waitForResult(stack, 'acme/heads/b1');

      // Assess
      expect(result.status).toBe('deployed');
      expect(commands.filter((command) => command === 'HeadObjectCommand')).toHaveLength(1);
      expect(commands.filter((command) => command === 'GetObjectCommand').length).toBeGreaterThan(3);
      const manifest = await stack.deps.state.get<{ artifact: { size: number } }>(
        'builds/acme/heads/b1/manifest.json',
      );
      expect(manifest?.value.artifact.size).toBe(body.length);
    } finally {
      stack.deps.s3.middlewareStack.remove(name);
    }
  });

  it('deploys once for a duplicated S3 event, with one result', async () => {
    const body = await zipFiles(site('dup'));
    await putArtifact(stack, 'acme/dup/b1.zip', body);
    await waitForResult(stack, 'acme/dup/b1');
    const record = buildS3EventRecord({
      bucket: LOCAL_ARTIFACTS_BUCKET,
      key: 'acme/dup/b1.zip',
      size: body.length,
      eTag: createHash('md5').update(body).digest('hex'),
    });

    await stack.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.ingest.url,
        MessageBody: JSON.stringify({ Records: [record] }),
      }),
    );
    await eventually(() =>
      log.lines.some((line) => line.outcome === 'duplicate' && line.build === 'b1' && line.script === 'dup'),
    );

    expect(script('acme--dup')?.deployCount).toBe(1);
    expect((await stack.deps.state.get('results/acme/dup/b1.json'))?.value).toMatchObject({
      status: 'deployed',
    });
  });

  it('rejects a bad artifact with a result record and no Cloudflare call', async () => {
    stack.emulator?.resetStats();

    await putArtifact(stack, 'acme/bad/b1.zip', Buffer.from('this is not a zip'));
    const result = await waitForResult(stack, 'acme/bad/b1');

    expect(result).toMatchObject({
      status: 'rejected',
      error: { category: 'user-input', code: 'artifact.not-a-zip' },
    });
    expect(stack.emulator?.stats().requests).toEqual([]);
  });

  it('retries a transient Cloudflare failure through SQS and then deploys', async () => {
    stack.emulator?.faults.once('script-put', { type: 'status', status: 502 }, 2);

    await putArtifact(stack, 'acme/flaky/b1.zip', await zipFiles(site('flaky')));
    const result = await waitForResult(stack, 'acme/flaky/b1');

    expect(result.status).toBe('deployed');
    expect(script('acme--flaky')?.deployCount).toBe(1);
  });

  it('lets the newest of two quick builds win', async () => {
    await putArtifact(stack, 'acme/race/b1.zip', await zipFiles(site('first')));
    await putArtifact(stack, 'acme/race/b2.zip', await zipFiles(site('second')));
    const [first, second] = await Promise.all([
      waitForResult(stack, 'acme/race/b1'),
      waitForResult(stack, 'acme/race/b2'),
    ]);

    expect(second.status).toBe('deployed');
    expect(['deployed', 'superseded']).toContain(first.status);
    expect(script('acme--race')?.assets.get('/index.html')?.content.toString()).toBe('<h1>second</h1>');
  });

  it('never lets a token or JWT reach a log line or a state document', async () => {
    const keys: string[] = [];
    for await (const key of stack.deps.state.list('')) keys.push(key);
    const documents = await Promise.all(keys.map((key) => stack.deps.state.get(key)));

    expect(log.lines.length).toBeGreaterThan(10);
    expect(containsSecret(JSON.stringify(log.lines))).toBe(false);
    expect(containsSecret(JSON.stringify(documents))).toBe(false);
  });
});
