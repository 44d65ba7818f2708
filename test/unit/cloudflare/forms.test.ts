import { describe, expect, it } from 'vitest';
import { parseMultipart, readBoundary } from '../../../infra/local/cloudflare/multipart.js';
import { buildBucketForm, buildScriptForm } from '../../../lib/cloudflare/forms.js';

/** Serialises a FormData exactly as fetch will send it. */
async function serialise(form: FormData) {
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  const boundary = readBoundary(request.headers.get('content-type') ?? undefined);
  return parseMultipart(Buffer.from(await request.arrayBuffer()), boundary ?? '');
}

describe('multipart bodies of the client', () => {
  it('sends one base64 file part per hash, typed with the asset type or application/null', async () => {
    // Prepare
    const files = [
      { hash: 'a'.repeat(32), content: Buffer.from('<p>x</p>'), contentType: 'text/html; charset=utf-8' },
      { hash: 'b'.repeat(32), content: new Uint8Array([0, 255, 1]), contentType: null },
      { hash: 'a'.repeat(32), content: Buffer.from('<p>x</p>'), contentType: 'text/html; charset=utf-8' },
    ];

    // Act
    const parts = await serialise(buildBucketForm(files));

    // Assess
    expect(parts.map(({ name, filename, contentType }) => ({ name, filename, contentType }))).toEqual([
      { name: 'a'.repeat(32), filename: 'a'.repeat(32), contentType: 'text/html; charset=utf-8' },
      { name: 'b'.repeat(32), filename: 'b'.repeat(32), contentType: 'application/null' },
    ]);
    expect(parts.map((part) => Buffer.from(part.data.toString(), 'base64'))).toEqual([
      Buffer.from('<p>x</p>'),
      Buffer.from([0, 255, 1]),
    ]);
  });

  it('sends the metadata as a JSON string field and each module as a typed file part named after it', async () => {
    // Prepare
    const metadata = { main_module: 'index.js', tags: ['tenant-acme'], assets: { jwt: 'x.y.z' } };
    const modules = [
      {
        name: 'index.js',
        contentType: 'application/javascript+module',
        content: Buffer.from('export default {}'),
      },
      { name: 'lib/add.wasm', contentType: 'application/wasm', content: Buffer.from([0, 97, 115, 109]) },
    ];

    // Act
    const parts = await serialise(buildScriptForm(modules, metadata));

    // Assess
    expect(parts[0]).toMatchObject({ name: 'metadata', filename: undefined, contentType: undefined });
    expect(JSON.parse(parts[0]?.data.toString() ?? '')).toEqual(metadata);
    expect(
      parts.slice(1).map(({ name, filename, contentType, data }) => ({ name, filename, contentType, data })),
    ).toEqual(
      modules.map((module) => ({
        name: module.name,
        filename: module.name,
        contentType: module.contentType,
        data: module.content,
      })),
    );
  });

  it('sends only the metadata part for an assets-only Worker', async () => {
    expect(
      (await serialise(buildScriptForm([], { assets: { jwt: 'x.y.z' } }))).map((part) => part.name),
    ).toEqual(['metadata']);
  });
});
