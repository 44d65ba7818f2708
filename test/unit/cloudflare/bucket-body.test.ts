import { describe, expect, it } from 'vitest';
import { parseMultipart, readBoundary } from '../../../infra/local/cloudflare/multipart.js';
import { BASE64_CHUNK_BYTES, bucketOfFiles, encodeBucketBody } from '../../../lib/cloudflare/bucket-body.js';
import { InvalidArtifactError } from '../../../lib/errors.js';

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
    const { parts } = await serialise(encodeBucketBody(bucketOfFiles(files)));

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
      const body = encodeBucketBody(
        bucketOfFiles([{ hash: 'c'.repeat(32), content, contentType: 'image/png' }]),
      );

      // Act
      const { bytes, parts } = await serialise(body);

      // Assess
      expect(bytes.length).toBe(body.length);
      expect(parts[0]?.data.toString('latin1')).toBe(content.toString('base64'));
    },
  );

  it('gives a fresh, complete stream for every attempt', async () => {
    // Prepare
    const body = encodeBucketBody(
      bucketOfFiles([{ hash: 'd'.repeat(32), content: Buffer.from('retry me'), contentType: null }]),
    );

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
    const { parts } = await serialise(encodeBucketBody(bucketOfFiles(files)));

    // Assess
    expect(parts).toHaveLength(1);
    expect(parts[0]?.contentType).toBe('text/plainX-Evil: 1');
  });
});

describe('streamed bucket upload body', () => {
  const hash = (n: number) => n.toString(16).padStart(32, '0');
  const bytesOf = (n: number, size: number) => Buffer.alloc(size, n);
  const declared = (count: number, size: number) =>
    Array.from({ length: count }, (_, n) => ({ hash: hash(n), size, contentType: 'text/plain' }));

  /** Reads the stream to its end or its error; returns what came out and the error. */
  async function drain(stream: ReadableStream<Uint8Array>) {
    const chunks: Buffer[] = [];
    const reader = stream.getReader();
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) return { bytes: Buffer.concat(chunks), error: undefined };
        chunks.push(Buffer.from(next.value));
      }
    } catch (error) {
      return { bytes: Buffer.concat(chunks), error };
    }
  }

  it('asks the reader for a file only once the previous one is on its way (one file in memory)', async () => {
    // Prepare: 16 files of 1 MiB; the reader notes how much of the body was read when it is asked again.
    const size = 1024 * 1024;
    let emitted = 0;
    const readAt: number[] = [];
    const body = encodeBucketBody({
      files: declared(16, size),
      async *read() {
        for (let n = 0; n < 16; n += 1) {
          readAt.push(emitted);
          yield { index: n, bytes: bytesOf(n, size) };
        }
      },
    });

    // Act
    const reader = body.stream().getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) emitted += next.value.length;

    // Assess: before file n is produced, files 0..n-1 have left as base64 (nothing is read ahead).
    expect(emitted).toBe(body.length);
    readAt.forEach((at, n) => {
      expect(at).toBeGreaterThanOrEqual(n * Math.ceil(size / 3) * 4);
    });
  });

  it('calls the reader again for every stream, so a retry re-reads the files', async () => {
    // Prepare
    let reads = 0;
    const body = encodeBucketBody({
      files: declared(2, 10),
      async *read() {
        reads += 1;
        yield { index: 1, bytes: bytesOf(1, 10) };
        yield { index: 0, bytes: bytesOf(0, 10) };
      },
    });

    // Act
    const first = await drain(body.stream());
    const second = await drain(body.stream());

    // Assess
    expect(reads).toBe(2);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(first.bytes.length).toBe(body.length);
  });

  it.each([
    [
      'the reader fails part-way',
      async function* () {
        yield { index: 0, bytes: bytesOf(0, 10) };
        throw new InvalidArtifactError('artifact.corrupt', 'The CRC-32 of /b.txt does not match.');
      },
      'artifact.corrupt',
    ],
    [
      'a file is shorter than declared',
      async function* () {
        yield { index: 0, bytes: bytesOf(0, 10) };
        yield { index: 1, bytes: bytesOf(1, 9) };
      },
      'internal.unexpected',
    ],
    [
      'a file never comes',
      async function* () {
        yield { index: 1, bytes: bytesOf(1, 10) };
      },
      'internal.unexpected',
    ],
    [
      'a file comes twice',
      async function* () {
        yield { index: 0, bytes: bytesOf(0, 10) };
        yield { index: 0, bytes: bytesOf(0, 10) };
      },
      'internal.unexpected',
    ],
  ])('is cut short of its declared length when %s', async (_, read, code) => {
    // Prepare
    const body = encodeBucketBody({ files: declared(2, 10), read });

    // Act
    const { bytes, error } = await drain(body.stream());

    // Assess: the trailer never goes out, so the server cannot take the body for a complete upload.
    expect(error).toMatchObject({ code });
    expect(body.failure).toBe(error);
    expect(bytes.length).toBeLessThan(body.length);
    expect(bytes.includes(Buffer.from('--\r\n'))).toBe(false);
  });

  it('aborts the reader when the request gives up on the stream, and does not blame the body', async () => {
    // Prepare
    let signal: AbortSignal | undefined;
    const body = encodeBucketBody({
      files: declared(2, 10),
      async *read(given) {
        signal = given;
        yield { index: 0, bytes: bytesOf(0, 10) };
        await new Promise((_, reject) => given.addEventListener('abort', () => reject(given.reason)));
      },
    });
    const reader = body.stream().getReader();
    await reader.read();

    // Act
    const pending = reader.read().catch(() => undefined);
    await reader.cancel(new Error('attempt timed out'));
    await pending;

    // Assess
    expect(signal?.aborted).toBe(true);
    expect(body.failure).toBeUndefined();
  });
});
