/**
 * The multipart body of one bucket upload, base64-encoded while it is sent. A FormData of base64 `File`s
 * held three copies of a ~67 MiB bucket at once (the base64 strings, their UTF-8 blobs, fetch's chunk
 * copies) and spent most of the upload's CPU in fetch's Blob streaming (benchmark profile, README
 * "Benchmarks"); this stream holds only the caller's raw bytes plus one ~1 MiB chunk, and its exact
 * length is known up front, so it goes out with a Content-Length like a buffered form would.
 */
import { randomBytes } from 'node:crypto';
import { NO_CONTENT_TYPE } from './forms.js';
import type { AssetFile } from './types.js';

/** Raw bytes encoded per chunk: a multiple of 3, so chunks join without inner base64 padding. */
export const BASE64_CHUNK_BYTES = 3 * 256 * 1024;

/** A bucket body: call `stream()` once per attempt (a retry sends a fresh stream). */
export interface BucketBody {
  contentType: string;
  length: number;
  stream(): ReadableStream<Uint8Array>;
}

const CRLF = '\r\n';
const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;
/** Part headers carry our hashes and content types; a line break would end the header early. */
const headerValue = (value: string): string => value.replace(/[\r\n"]/g, '');

/**
 * One part per hash (a repeated hash is sent once), named and file-named by the hash, typed with the
 * content type Cloudflare will serve (`application/null` for none), whose body is the file in base64.
 */
export function encodeBucketBody(
  files: readonly AssetFile[],
  boundary = randomBytes(16).toString('hex'),
): BucketBody {
  const seen = new Set<string>();
  const parts: Array<{ header: Buffer; content: Uint8Array }> = [];
  for (const file of files) {
    if (seen.has(file.hash)) continue;
    seen.add(file.hash);
    const type = file.contentType === null || file.contentType === '' ? NO_CONTENT_TYPE : file.contentType;
    const name = headerValue(file.hash);
    const header =
      `--${boundary}${CRLF}Content-Disposition: form-data; name="${name}"; filename="${name}"${CRLF}` +
      `Content-Type: ${headerValue(type)}${CRLF}${CRLF}`;
    parts.push({ header: Buffer.from(header), content: file.content });
  }
  const trailer = Buffer.from(`--${boundary}--${CRLF}`);
  const length =
    parts.reduce((sum, part) => sum + part.header.length + base64Length(part.content.length) + 2, 0) +
    trailer.length;

  function* chunks(): Generator<Uint8Array> {
    for (const { header, content } of parts) {
      yield header;
      const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
      for (let offset = 0; offset < bytes.length; offset += BASE64_CHUNK_BYTES) {
        yield Buffer.from(bytes.subarray(offset, offset + BASE64_CHUNK_BYTES).toString('base64'), 'latin1');
      }
      yield Buffer.from(CRLF);
    }
    yield trailer;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    stream() {
      const source = chunks();
      // highWaterMark 0: a chunk is encoded only when fetch asks for it.
      return new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const next = source.next();
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          },
        },
        { highWaterMark: 0 },
      );
    },
  };
}
