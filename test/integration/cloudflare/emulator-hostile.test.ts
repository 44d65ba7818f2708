/** Requests no well-behaved client sends: each must get the right 4xx and Cloudflare error code. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetFile,
  type CloudflareHarness,
  encodeMultipart,
  manifestOf,
  NAMESPACE,
  type RawPart,
  type RawResponse,
  rawRequest,
  scriptsPath,
  startCloudflareHarness,
  uploadSession,
  workerModule,
} from '../../helpers/cloudflare.js';

const asset = assetFile('hello world', 'text/plain');
const moduleParts = (name = 'index.js', type = 'application/javascript+module'): RawPart[] => [
  { name, filename: name, contentType: type, data: workerModule().content },
];

interface Fixture {
  harness: CloudflareHarness;
  uploadJwt: string;
  completionForSite: string;
  completionForOther: string;
}

describe('the emulator refuses hostile requests', () => {
  let fx: Fixture;

  beforeAll(async () => {
    const harness = await startCloudflareHarness({
      maxManifestFiles: 3,
      maxScriptBytes: 4096,
      maxBodyBytes: 64 * 1024,
    });
    const pending = await harness.client.openUploadSession(
      NAMESPACE,
      'pending',
      manifestOf({ '/a.txt': assetFile('never uploaded') }),
    );
    const site = await harness.client.openUploadSession(NAMESPACE, 'site', manifestOf({ '/a.txt': asset }));
    const completionForSite = await uploadSession(harness.client, site, [asset]);
    const other = await harness.client.openUploadSession(NAMESPACE, 'other', manifestOf({ '/a.txt': asset }));
    await harness.client.deployScript(NAMESPACE, 'site', {
      modules: [workerModule()],
      metadata: { main_module: 'index.js', tags: ['tenant-acme'], assets: { jwt: completionForSite } },
    });
    fx = { harness, uploadJwt: pending.jwt, completionForSite, completionForOther: other.jwt };
  });
  afterAll(async () => {
    await fx.harness.close();
  });

  const emulator = () => fx.harness.emulator;
  const json = (value: unknown) => ({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  const openSession = (manifest: unknown, token?: string | null) =>
    rawRequest(emulator(), 'POST', `${scriptsPath(emulator())}/site/assets-upload-session`, {
      ...json({ manifest }),
      ...(token === undefined ? {} : { token }),
    });
  const upload = (parts: RawPart[], options: { token?: string | null; query?: string } = {}) => {
    const { body, contentType } = encodeMultipart(parts);
    return rawRequest(
      emulator(),
      'POST',
      `/accounts/${emulator().accountId}/workers/assets/upload${options.query ?? '?base64=true'}`,
      {
        headers: { 'content-type': contentType },
        body,
        token: options.token === undefined ? fx.uploadJwt : options.token,
      },
    );
  };
  const base64Part = (hash: string, data: Buffer | string): RawPart => ({
    name: hash,
    filename: hash,
    contentType: 'text/plain',
    data: Buffer.from(data).toString('base64'),
  });
  const pendingHash = assetFile('never uploaded').hash;
  const put = (
    metadata: unknown,
    modules: RawPart[] = moduleParts(),
    options: { name?: string; query?: string } = {},
  ) => {
    const { body, contentType } = encodeMultipart([
      { name: 'metadata', data: JSON.stringify(metadata) },
      ...modules,
    ]);
    return rawRequest(
      emulator(),
      'PUT',
      `${scriptsPath(emulator())}/${options.name ?? 'site'}${options.query ?? ''}`,
      {
        headers: { 'content-type': contentType },
        body,
      },
    );
  };

  const cases: Array<[string, () => Promise<RawResponse>, number, number]> = [
    // Auth: the API token on account endpoints, only the upload JWT on assets/upload.
    [
      'no credentials on an account endpoint',
      () => rawRequest(emulator(), 'GET', scriptsPath(emulator()), { token: null }),
      401,
      10000,
    ],
    [
      'a wrong API token',
      () => rawRequest(emulator(), 'GET', scriptsPath(emulator()), { token: 'wrong-token' }),
      403,
      10000,
    ],
    [
      'an upload JWT on an account endpoint',
      () => rawRequest(emulator(), 'GET', scriptsPath(emulator()), { token: fx.uploadJwt }),
      403,
      10000,
    ],
    [
      'another account in the path',
      () => rawRequest(emulator(), 'GET', `/accounts/other/workers/dispatch/namespaces/${NAMESPACE}/scripts`),
      403,
      9109,
    ],
    [
      'the API token on assets/upload',
      () => upload([base64Part(pendingHash, 'never uploaded')], { token: emulator().apiToken }),
      401,
      10000,
    ],
    [
      'a completion token on assets/upload',
      () => upload([base64Part(pendingHash, 'never uploaded')], { token: fx.completionForSite }),
      401,
      10000,
    ],
    [
      'a forged JWT on assets/upload',
      () => upload([base64Part(pendingHash, 'x')], { token: `${fx.uploadJwt.slice(0, -4)}AAAA` }),
      401,
      10000,
    ],
    ['no token on assets/upload', () => upload([base64Part(pendingHash, 'x')], { token: null }), 401, 10000],
    // Manifests.
    [
      'a manifest path without a leading slash',
      () => openSession({ 'a.txt': { hash: asset.hash, size: 11 } }),
      400,
      10304,
    ],
    [
      'a manifest hash that is not 32 hex',
      () => openSession({ '/a.txt': { hash: 'XYZ', size: 11 } }),
      400,
      10304,
    ],
    ['a negative manifest size', () => openSession({ '/a.txt': { hash: asset.hash, size: -1 } }), 400, 10304],
    [
      'a fractional manifest size',
      () => openSession({ '/a.txt': { hash: asset.hash, size: 1.5 } }),
      400,
      10304,
    ],
    [
      'a manifest size over 25 MiB',
      () => openSession({ '/a.txt': { hash: asset.hash, size: 26 * 1024 * 1024 } }),
      400,
      10304,
    ],
    ['a manifest entry without a size', () => openSession({ '/a.txt': { hash: asset.hash } }), 400, 10304],
    ['a body without a manifest', () => openSession(undefined), 400, 10304],
    [
      'more manifest entries than the limit',
      () =>
        openSession(
          Object.fromEntries(['/1', '/2', '/3', '/4'].map((path) => [path, { hash: asset.hash, size: 11 }])),
        ),
      400,
      10304,
    ],
    [
      'one hash with two sizes',
      () => openSession({ '/a': { hash: asset.hash, size: 11 }, '/b': { hash: asset.hash, size: 12 } }),
      400,
      10304,
    ],
    [
      'a session for an unknown namespace',
      () =>
        rawRequest(
          emulator(),
          'POST',
          `${scriptsPath(emulator(), 'nope')}/site/assets-upload-session`,
          json({ manifest: {} }),
        ),
      404,
      10007,
    ],
    // Uploads.
    [
      'a hash the session does not list',
      () => upload([base64Part(asset.hash.replace(/^./, 'f'), 'hello world')]),
      400,
      10305,
    ],
    [
      'a part whose size differs from the manifest',
      () => upload([base64Part(pendingHash, 'never uploaded!!')]),
      400,
      10305,
    ],
    [
      'a part that is not base64',
      () => upload([{ name: pendingHash, filename: pendingHash, data: '***not base64***' }]),
      400,
      10305,
    ],
    [
      'the same hash twice',
      () => upload([base64Part(pendingHash, 'never uploaded'), base64Part(pendingHash, 'never uploaded')]),
      400,
      10305,
    ],
    [
      'an upload without base64=true',
      () => upload([base64Part(pendingHash, 'never uploaded')], { query: '' }),
      400,
      10003,
    ],
    [
      'an upload with base64=false',
      () => upload([base64Part(pendingHash, 'never uploaded')], { query: '?base64=false' }),
      400,
      10004,
    ],
    [
      'an upload that is not multipart',
      () =>
        rawRequest(
          emulator(),
          'POST',
          `/accounts/${emulator().accountId}/workers/assets/upload?base64=true`,
          { ...json({}), token: fx.uploadJwt },
        ),
      400,
      10001,
    ],
    // Script PUT.
    [
      'a script PUT that is not multipart',
      () =>
        rawRequest(emulator(), 'PUT', `${scriptsPath(emulator())}/site`, json({ main_module: 'index.js' })),
      400,
      10001,
    ],
    [
      'a script PUT without a metadata part',
      async () => {
        const { body, contentType } = encodeMultipart(moduleParts());
        return rawRequest(emulator(), 'PUT', `${scriptsPath(emulator())}/site`, {
          headers: { 'content-type': contentType },
          body,
        });
      },
      400,
      10021,
    ],
    [
      'metadata that is not JSON',
      async () => {
        const { body, contentType } = encodeMultipart([
          { name: 'metadata', data: '{main_module:' },
          ...moduleParts(),
        ]);
        return rawRequest(emulator(), 'PUT', `${scriptsPath(emulator())}/site`, {
          headers: { 'content-type': contentType },
          body,
        });
      },
      400,
      10021,
    ],
    ['main_module naming a missing part', () => put({ main_module: 'worker.js' }), 400, 10021],
    ['modules without an entry point', () => put({}), 400, 10021],
    [
      'both main_module and body_part',
      () => put({ main_module: 'index.js', body_part: 'index.js' }),
      400,
      10021,
    ],
    [
      'an entry module of a non-script type',
      () => put({ main_module: 'index.js' }, moduleParts('index.js', 'text/plain')),
      400,
      10021,
    ],
    [
      'a module of an unsupported type',
      () =>
        put({ main_module: 'index.js' }, [
          ...moduleParts(),
          { name: 'x.png', filename: 'x.png', contentType: 'image/png', data: 'x' },
        ]),
      400,
      10021,
    ],
    [
      'metadata breaking the contract',
      () => put({ main_module: 'index.js', compatibility_flags: 'nodejs_compat' }),
      400,
      10021,
    ],
    [
      'a tampered assets JWT',
      () => put({ main_module: 'index.js', assets: { jwt: `${fx.completionForSite.slice(0, -2)}xx` } }),
      400,
      10000,
    ],
    [
      'a completion token of another script',
      () => put({ main_module: 'index.js', assets: { jwt: fx.completionForOther } }),
      400,
      10000,
    ],
    [
      'an upload token as assets.jwt',
      () => put({ main_module: 'index.js', assets: { jwt: fx.uploadJwt } }),
      400,
      10000,
    ],
    [
      'an assets binding without assets',
      () => put({ main_module: 'index.js', bindings: [{ type: 'assets', name: 'ASSETS' }] }),
      400,
      10021,
    ],
    [
      'keep_assets on a script without assets',
      () => put({ main_module: 'index.js', keep_assets: true }, moduleParts(), { name: 'fresh' }),
      400,
      10021,
    ],
    [
      'nine tags',
      () => put({ main_module: 'index.js', tags: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] }),
      400,
      10021,
    ],
    ...[',', '&', ':', '=', ' ', 'A'].map((bad): [string, () => Promise<RawResponse>, number, number] => [
      `a tag containing ${JSON.stringify(bad)}`,
      () => put({ main_module: 'index.js', tags: [`tenant${bad}x`] }),
      400,
      10021,
    ]),
    [
      'an invalid script name',
      () => put({ main_module: 'index.js' }, moduleParts(), { name: 'Bad.Name' }),
      400,
      10004,
    ],
    [
      'bindings_inherit other than strict',
      () => put({ main_module: 'index.js' }, moduleParts(), { query: '?bindings_inherit=loose' }),
      400,
      10004,
    ],
    [
      'a script over the size limit',
      () => put({ main_module: 'index.js' }, [{ ...moduleParts()[0], data: 'x'.repeat(5000) } as RawPart]),
      400,
      10027,
    ],
    [
      'a body over the request limit',
      () =>
        put({ main_module: 'index.js' }, [{ ...moduleParts()[0], data: 'x'.repeat(70 * 1024) } as RawPart]),
      413,
      10027,
    ],
    // Scripts, lists, bulk delete, tags.
    [
      'GET of a missing script',
      () => rawRequest(emulator(), 'GET', `${scriptsPath(emulator())}/missing`),
      404,
      10007,
    ],
    [
      'DELETE of a missing script',
      () => rawRequest(emulator(), 'DELETE', `${scriptsPath(emulator())}/missing`),
      404,
      10007,
    ],
    [
      'a bulk delete without a tag filter',
      () => rawRequest(emulator(), 'DELETE', scriptsPath(emulator())),
      400,
      10003,
    ],
    [
      'a bulk delete with an empty tag filter',
      () => rawRequest(emulator(), 'DELETE', `${scriptsPath(emulator())}?tags=`),
      400,
      10003,
    ],
    [
      'a malformed tag filter',
      () => rawRequest(emulator(), 'DELETE', `${scriptsPath(emulator())}?tags=tenant-acme:maybe`),
      400,
      10004,
    ],
    [
      'a bulk delete limit of 0',
      () => rawRequest(emulator(), 'DELETE', `${scriptsPath(emulator())}?tags=tenant-acme:yes&limit=0`),
      400,
      10004,
    ],
    [
      'a list limit over 1000',
      () => rawRequest(emulator(), 'GET', `${scriptsPath(emulator())}?limit=1001`),
      400,
      10004,
    ],
    [
      'PUT of nine tags',
      () =>
        rawRequest(
          emulator(),
          'PUT',
          `${scriptsPath(emulator())}/site/tags`,
          json(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']),
        ),
      400,
      10021,
    ],
    [
      'PUT of a tag with a comma',
      () => rawRequest(emulator(), 'PUT', `${scriptsPath(emulator())}/site/tags/a,b`),
      400,
      10004,
    ],
    [
      'an unknown route',
      () => rawRequest(emulator(), 'GET', `/accounts/${emulator().accountId}/workers/nothing`),
      404,
      7003,
    ],
    [
      'a wrong method on a known route',
      () => rawRequest(emulator(), 'POST', `${scriptsPath(emulator())}/site/tags`),
      405,
      7001,
    ],
  ];

  it.each(cases)('answers %s with the right status and code', async (_label, send, status, code) => {
    // Act
    const response = await send();

    // Assess
    expect({ status: response.status, codes: response.body.errors.map((error) => error.code) }).toEqual({
      status,
      codes: [code],
    });
    expect(response.body).toMatchObject({ success: false, result: null });
  });

  it('changes nothing when it refuses: the deployed script and the pending session are intact', async () => {
    // Act
    const stored = emulator().getScript(NAMESPACE, 'site');

    // Assess
    expect(stored?.tags).toEqual(['tenant-acme']);
    expect(stored?.deployCount).toBe(1);
    expect(emulator().hasAsset(NAMESPACE, pendingHash)).toBe(false);
    expect(emulator().listScripts(NAMESPACE)).toEqual(['site']);
    expect(emulator().stats().contractViolations).toEqual([]);
  });

  it('refuses an upload JWT once the clock passes its expiry', async () => {
    // Prepare
    emulator().advanceClock(3600_000);

    // Act
    const response = await upload([base64Part(pendingHash, 'never uploaded')]);

    // Assess
    expect(response.status).toBe(401);
    expect(response.body.errors[0]?.message).toContain('Expired JWT');
  });
});
