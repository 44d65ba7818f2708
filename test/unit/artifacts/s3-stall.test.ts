/**
 * A stalled S3 body: the server sends the headers and part of the bytes, then nothing. The pipeline's S3
 * client gives up after its idle deadline with a retryable `s3.unavailable`, instead of holding the
 * invocation until the Lambda timeout.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3Source } from '../../../lib/artifacts/sources/s3-source.js';
import { createS3 } from '../../../lib/deps.js';
import { PipelineError } from '../../../lib/errors.js';

const SIZE = 64 * 1024;
const ETAG = '"0123456789abcdef0123456789abcdef"';
let server: Server;
let endpoint: string;
const stalled: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const headers = { ETag: ETAG, 'Last-Modified': new Date(0).toUTCString(), 'Accept-Ranges': 'bytes' };
    if (request.method === 'HEAD') {
      response.writeHead(200, { ...headers, 'Content-Length': SIZE });
      response.end();
      return;
    }
    const [, start = '0', end = String(SIZE - 1)] =
      /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? '') ?? [];
    const length = Number(end) - Number(start) + 1;
    response.writeHead(206, {
      ...headers,
      'Content-Length': length,
      'Content-Range': `bytes ${start}-${end}/${SIZE}`,
    });
    // A tenth of the body, then silence: the connection stays open and nothing more comes.
    response.write(Buffer.alloc(Math.ceil(length / 10), 1));
    stalled.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of stalled) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const pin = { bucket: 'artifacts', key: 'acme/site/b1.zip', etag: ETAG };

async function openStalled(idleMs: number) {
  const s3 = createS3({ region: 'us-east-1', s3Endpoint: endpoint }, { idleMs });
  return { s3, source: await openS3Source(s3, pin) };
}

describe('a stalled S3 body', () => {
  it('fails a streamed read with s3.unavailable (retryable) after the idle deadline', async () => {
    const { s3, source } = await openStalled(400);
    const started = performance.now();

    const error = await (async () => {
      try {
        for await (const _chunk of source.stream(0, SIZE)) {
          // consume
        }
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    s3.destroy();

    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('s3.unavailable');
    expect((error as PipelineError).category).toBe('transient');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('fails a ranged read the same way', async () => {
    const { s3, source } = await openStalled(400);

    await expect(source.read(0, 4096)).rejects.toMatchObject({
      code: 's3.unavailable',
      category: 'transient',
    });
    s3.destroy();
  });
});
