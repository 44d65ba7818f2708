import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudflareApiError, PipelineError } from '../../../lib/errors.js';
import {
  assetFile,
  type CloudflareHarness,
  manifestOf,
  NAMESPACE,
  startCloudflareHarness,
  uploadSession,
  workerModule,
} from '../../helpers/cloudflare.js';

describe('lib/cloudflare against the emulator', () => {
  let harness: CloudflareHarness;

  beforeEach(async () => {
    harness = await startCloudflareHarness({ bucketMaxFiles: 2 });
  });
  afterEach(async () => {
    await harness.close();
  });

  const site = {
    '/index.html': assetFile('<h1>hi</h1>', 'text/html; charset=utf-8'),
    '/app.js': assetFile('console.log(1)', 'application/javascript'),
    '/copy.html': assetFile('<h1>hi</h1>', 'text/html; charset=utf-8'),
    '/blob.xyz': assetFile(Buffer.from([0, 1, 2, 3]), null),
  };
  const files = [...new Map(Object.values(site).map((file) => [file.hash, file])).values()];

  async function deploySite(script: string, tags: string[]) {
    const session = await harness.client.openUploadSession(NAMESPACE, script, manifestOf(site));
    const jwt = await uploadSession(harness.client, session, files);
    return harness.client.deployScript(NAMESPACE, script, {
      modules: [workerModule()],
      metadata: {
        main_module: 'index.js',
        compatibility_date: '2025-01-15',
        bindings: [
          { type: 'assets', name: 'ASSETS' },
          { type: 'plain_text', name: 'GREETING', text: 'hi' },
        ],
        tags,
        assets: { jwt, config: { html_handling: 'auto-trailing-slash', not_found_handling: '404-page' } },
      },
    });
  }

  it('opens a session listing each missing hash once, split into the server-planned buckets', async () => {
    // Act
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));

    // Assess
    expect(session.buckets.flat().sort()).toEqual(files.map((file) => file.hash).sort());
    expect(session.buckets.map((bucket) => bucket.length)).toEqual([2, 1]);
    expect(session.jwt.split('.')).toHaveLength(3);
  });

  it('uploads buckets with each content type and returns the completion token on the last one', async () => {
    // Prepare
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    const [first, second] = session.buckets;

    // Act
    const accepted = await harness.client.uploadBucket(
      session.jwt,
      files.filter((file) => first?.includes(file.hash)),
    );
    const complete = await harness.client.uploadBucket(
      session.jwt,
      files.filter((file) => second?.includes(file.hash)),
    );

    // Assess
    expect(accepted).toEqual({ status: 'accepted' });
    expect(complete).toMatchObject({ status: 'complete', completionToken: expect.stringMatching(/^eyJ/) });
  });

  it('deploys a module Worker with assets, tags and bindings, and the emulator stores every byte', async () => {
    // Act
    const deployed = await deploySite('site', ['tenant-acme', 'plan-pro']);

    // Assess
    expect(deployed).toMatchObject({
      id: 'site',
      tags: ['tenant-acme', 'plan-pro'],
      hasAssets: true,
      hasModules: true,
    });
    const stored = harness.emulator.getScript(NAMESPACE, 'site');
    expect(stored?.modules.get('index.js')).toEqual({
      contentType: 'application/javascript+module',
      content: workerModule().content,
    });
    expect(stored?.assets.get('/index.html')).toMatchObject({
      contentType: 'text/html; charset=utf-8',
      content: Buffer.from('<h1>hi</h1>'),
    });
    expect(stored?.assets.get('/blob.xyz')).toMatchObject({
      contentType: null,
      content: Buffer.from([0, 1, 2, 3]),
    });
    expect(stored?.metadata).toMatchObject({
      main_module: 'index.js',
      assets: { config: { html_handling: 'auto-trailing-slash' } },
    });
    expect(JSON.stringify(stored?.metadata)).not.toContain('eyJ');
    const put = harness.emulator.stats().requests.find((request) => request.kind === 'script-put');
    expect(put?.status).toBe(200);
  });

  it('deploys an assets-only Worker with only the metadata part', async () => {
    // Prepare
    const session = await harness.client.openUploadSession(NAMESPACE, 'static', manifestOf(site));
    const jwt = await uploadSession(harness.client, session, files);

    // Act
    const deployed = await harness.client.deployScript(NAMESPACE, 'static', {
      modules: [],
      metadata: { compatibility_date: '2025-01-15', tags: ['tenant-acme'], assets: { jwt, config: {} } },
    });

    // Assess
    expect(deployed).toMatchObject({ id: 'static', hasAssets: true, hasModules: false });
    expect(harness.emulator.getScript(NAMESPACE, 'static')?.modules.size).toBe(0);
    expect(harness.emulator.getScript(NAMESPACE, 'static')?.assets.size).toBe(4);
  });

  it('answers a repeated manifest with no buckets and a completion token the PUT accepts', async () => {
    // Prepare
    await deploySite('site', ['tenant-acme']);

    // Act
    const again = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    const deployed = await harness.client.deployScript(NAMESPACE, 'site', {
      modules: [workerModule('v2')],
      metadata: { main_module: 'index.js', tags: ['tenant-acme'], assets: { jwt: again.jwt } },
    });

    // Assess
    expect(again.buckets).toEqual([]);
    expect(deployed.hasAssets).toBe(true);
    expect(harness.emulator.getScript(NAMESPACE, 'site')?.deployCount).toBe(2);
  });

  it('lists scripts by tag across pages and reads the tags of one script', async () => {
    // Prepare
    const client = harness.createClient({ listPageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      await deploySite(name, name === 'c' ? ['tenant-other'] : ['tenant-acme']);

    // Act
    const acme = await client.listScripts(NAMESPACE, { tags: ['tenant-acme'] });
    const all = await client.listScripts(NAMESPACE);
    const tags = await client.getScriptTags(NAMESPACE, 'c');

    // Assess
    expect(acme.map((script) => script.id)).toEqual(['a', 'b', 'd', 'e']);
    expect(all).toHaveLength(5);
    expect(tags).toEqual(['tenant-other']);
    expect(harness.emulator.stats().requests.filter((request) => request.kind === 'list').length).toBe(5);
  });

  it('bulk-deletes by tag page by page and leaves other tenants alone', async () => {
    // Prepare
    const client = harness.createClient({ deletePageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      await deploySite(name, name === 'c' ? ['tenant-other'] : ['tenant-acme']);

    // Act
    const result = await client.deleteScriptsByTag(NAMESPACE, 'tenant-acme');

    // Assess
    expect(result.deleted.sort()).toEqual(['a', 'b', 'd', 'e']);
    expect(harness.emulator.listScripts(NAMESPACE)).toEqual(['c']);
    expect(harness.emulator.stats().requests.filter((request) => request.kind === 'bulk-delete').length).toBe(
      2,
    );
  });

  it('deletes one script and counts a missing one as success', async () => {
    // Prepare
    await deploySite('site', ['tenant-acme']);

    // Act
    const first = await harness.client.deleteScript(NAMESPACE, 'site');
    const second = await harness.client.deleteScript(NAMESPACE, 'site');

    // Assess
    expect(first).toEqual({ deleted: true });
    expect(second).toEqual({ deleted: false });
    expect(harness.emulator.getScript(NAMESPACE, 'site')).toBeUndefined();
  });

  it.each(['', ' ', 'tenant-a,tenant-b', 'tenant:yes', 'a&b', 'a=b', 'Tenant-A', 'tenant a', 'x\n'])(
    'refuses the bulk-delete tag %j before sending anything',
    async (tag) => {
      // Act
      const error = await harness.client
        .deleteScriptsByTag(NAMESPACE, tag)
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(PipelineError);
      expect(error).toMatchObject({ code: 'tag.invalid', category: 'user-input' });
      expect(harness.emulator.stats().requests).toHaveLength(0);
    },
  );

  it('maps an expired upload JWT to token-expired without retrying', async () => {
    // Prepare
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    harness.emulator.advanceClock(3601_000);

    // Act
    const error = await harness.client.uploadBucket(session.jwt, files).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.token-expired', category: 'transient', status: 401 });
    expect(harness.emulator.stats().requests.filter((request) => request.kind === 'upload')).toHaveLength(1);
  });

  it.each([
    ['expired', (h: CloudflareHarness) => h.emulator.advanceClock(3601_000)],
    ['revoked', (h: CloudflareHarness) => h.emulator.expireAllTokens()],
  ])('maps a %s completion token on the PUT to token-expired', async (_label, expire) => {
    // Prepare
    const session = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf(site));
    const jwt = await uploadSession(harness.client, session, files);
    expire(harness);

    // Act
    const error = await harness.client
      .deployScript(NAMESPACE, 'site', {
        modules: [workerModule()],
        metadata: { main_module: 'index.js', assets: { jwt } },
      })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.token-expired', status: 400 });
  });

  it('maps a completion token of another script to token-expired, so the caller re-opens a session', async () => {
    // Prepare
    const session = await harness.client.openUploadSession(NAMESPACE, 'one', manifestOf(site));
    const jwt = await uploadSession(harness.client, session, files);

    // Act
    const error = await harness.client
      .deployScript(NAMESPACE, 'two', {
        modules: [workerModule()],
        metadata: { main_module: 'index.js', assets: { jwt } },
      })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.token-expired', apiCodes: [10000] });
    expect(harness.emulator.getScript(NAMESPACE, 'two')).toBeUndefined();
  });

  it('maps a Worker the API refuses (entry module missing) to script-rejected, a user-input error', async () => {
    // Act
    const error = await harness.client
      .deployScript(NAMESPACE, 'site', { modules: [workerModule()], metadata: { main_module: 'worker.js' } })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(CloudflareApiError);
    expect(error).toMatchObject({
      code: 'cloudflare.script-rejected',
      category: 'user-input',
      status: 400,
      apiCodes: [10021],
    });
    expect((error as Error).message).toContain('worker.js');
  });

  it.each([
    ['an unknown namespace', 'no-such-ns', 'cloudflare.not-found', 404],
    ['an invalid script name', NAMESPACE, 'cloudflare.bad-request', 400],
  ])('maps a session for %s to a non-retried upstream error', async (_label, namespace, code, status) => {
    // Act
    const error = await harness.client
      .openUploadSession(namespace, namespace === NAMESPACE ? 'Bad_Name!' : 'site', manifestOf(site))
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code, status, category: 'upstream-rejected' });
    expect(harness.emulator.stats().requests).toHaveLength(1);
  });

  it('refuses a wrong API token as cloudflare.forbidden, and does not retry it', async () => {
    // Prepare
    const client = harness.createClient({ apiToken: 'not-the-token-at-all' });

    // Act
    const error = await client.listScripts(NAMESPACE).catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.forbidden', category: 'upstream-rejected', status: 403 });
    expect(harness.emulator.stats().requests).toHaveLength(1);
  });
});
