import { describe, expect, it } from 'vitest';
import { parseMultipart, readBoundary } from '../../../infra/local/cloudflare/multipart.js';
import { buildScriptForm } from '../../../lib/cloudflare/forms.js';

/** Serialises a FormData exactly as fetch will send it. */
async function serialise(form: FormData) {
  const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });
  const boundary = readBoundary(request.headers.get('content-type') ?? undefined);
  return parseMultipart(Buffer.from(await request.arrayBuffer()), boundary ?? '');
}

describe('multipart bodies of the client', () => {
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
