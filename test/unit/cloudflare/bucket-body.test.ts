import { describe, expect, it } from 'vitest';
import { parseMultipart, readBoundary } from '../../../infra/local/cloudflare/multipart.js';
import { BASE64_CHUNK_BYTES, encodeBucketBody } from '../../../lib/cloudflare/bucket-body.js';

/** Reads one stream of the body and parses it as the emulator does. */
async function serialise(body: ReturnType<typeof encodeBucketBody>) {
  const bytes = Buffer.from(await new Response(body.stream()).arrayBuffer());
  return { bytes, parts: parseMultipart(bytes, readBoundary(body.contentType) ?? '') };
}

describe('bucket upload body', () => {
  it('sends one base64 file part per hash, typed with the asset type or application/null', async () => {
    // Prepare
    const files = [
      { hash: 'a'.repeat(32), content: Buffer.from('<p>x</p>'), contentType: 'text/html; charset=utf-8' },
      { hash: 'b'.repeat(32), content: new Uint8Array([0, 255, 1]), contentType: null },
      { hash: 'a'.repeat(32), content: Buffer.from('<p>x</p>'), contentType: 'text/html; charset=utf-8' },
    ];

    // Act
    const { parts } = await serialise(encodeBucketBody(files));

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

  it.each([
    ['empty', 0],
    ['one byte', 1],
    ['one chunk exactly', BASE64_CHUNK_BYTES],
    ['a chunk and two bytes', BASE64_CHUNK_BYTES + 2],
    ['several chunks and one byte', 3 * BASE64_CHUNK_BYTES + 1],
  ])(
    'encodes a %s file in chunks that join into one valid base64 text of the declared length',
    async (_, size) => {
      // Prepare
      const content = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) content[i] = (i * 7919) & 0xff;
      const body = encodeBucketBody([{ hash: 'c'.repeat(32), content, contentType: 'image/png' }]);

      // Act
      const { bytes, parts } = await serialise(body);

      // Assess
      expect(bytes.length).toBe(body.length);
      expect(parts[0]?.data.toString('latin1')).toBe(content.toString('base64'));
    },
  );

  it('gives a fresh, complete stream for every attempt', async () => {
    // Prepare
    const body = encodeBucketBody([
      { hash: 'd'.repeat(32), content: Buffer.from('retry me'), contentType: null },
    ]);

    // Act
    const first = await serialise(body);
    const second = await serialise(body);

    // Assess
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(second.bytes.length).toBe(body.length);
  });

  it('keeps line breaks and quotes of a content type out of the part headers', async () => {
    // Prepare
    const files = [
      { hash: 'e'.repeat(32), content: Buffer.from('x'), contentType: 'text/plain\r\nX-Evil: "1"' },
    ];

    // Act
    const { parts } = await serialise(encodeBucketBody(files));

    // Assess
    expect(parts).toHaveLength(1);
    expect(parts[0]?.contentType).toBe('text/plainX-Evil: 1');
  });
});
