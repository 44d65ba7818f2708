/**
 * The multipart body of one bucket upload, base64-encoded while it is sent. The files' bytes come from a
 * reader the caller gives (the upload stage reads them from the archive while the request goes out), so
 * the body holds one file plus one ~1 MiB chunk at a time, never the bucket; each attempt calls the
 * reader again, so a retry re-reads and resends identical bytes. The exact length is known up front from
 * the declared sizes, so the body goes out with a Content-Length: a body that fails part-way (the reader
 * throws, a size does not match) is cut short of that length, and the server never sees a complete
 * request. A FormData of base64 `File`s held three copies of a ~67 MiB bucket at once and spent most of
 * the upload's CPU in fetch's Blob streaming (README "Benchmarks").
 */
import { randomBytes } from 'node:crypto';
import { PipelineError } from '../errors.js';
import { NO_CONTENT_TYPE } from './forms.js';
import type { AssetFile, StreamedAssetFile, StreamedBucket } from './types.js';

/** Raw bytes encoded per chunk: a multiple of 3, so chunks join without inner base64 padding. */
export const BASE64_CHUNK_BYTES = 3 * 256 * 1024;

/** A bucket body: call `stream()` once per attempt (a retry sends a fresh stream). */
export interface BucketBody {
  contentType: string;
  length: number;
  /** A fresh stream; its reader is aborted when the stream is cancelled (fetch gave up). */
  stream(): ReadableStream<Uint8Array>;
  /** The error the last stream failed with, when the body itself (not the connection) failed. */
  readonly failure: unknown;
}

const CRLF = '\r\n';
const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;
/** Part headers carry our hashes and content types; a line break would end the header early. */
const headerValue = (value: string): string => value.replace(/[\r\n"]/g, '');

const mismatch = (message: string) => new PipelineError('internal.unexpected', message);

/** A streamed bucket over bytes already in memory (callers that hold their files). */
export function bucketOfFiles(files: readonly AssetFile[]): StreamedBucket {
  return {
    files: files.map(({ hash, contentType, content }) => ({ hash, contentType, size: content.byteLength })),
    async *read() {
      for (const [index, file] of files.entries()) yield { index, bytes: file.content };
    },
  };
}

/**
 * One part per hash (a repeated hash is sent once, from its first file), named and file-named by the
 * hash, typed with the content type Cloudflare will serve (`application/null` for none), whose body is
 * the file in base64. Parts go out in the order the reader yields the files (archive order for the
 * upload stage); every file must come exactly once with its declared size.
 */
export function encodeBucketBody(
  bucket: StreamedBucket,
  boundary = randomBytes(16).toString('hex'),
): BucketBody {
  const seen = new Map<string, number>();
  /** Per file of `bucket.files`: its part header, or undefined for a repeated hash (skipped). */
  const headers: Array<Buffer | undefined> = bucket.files.map((file, index) => {
    if (seen.has(file.hash)) return undefined;
    seen.set(file.hash, index);
    return partHeader(file, boundary);
  });
  const trailer = Buffer.from(`--${boundary}--${CRLF}`);
  let length = trailer.length;
  for (const [index, header] of headers.entries()) {
    if (header === undefined) continue;
    length += header.length + base64Length((bucket.files[index] as StreamedAssetFile).size) + CRLF.length;
  }
  let failure: unknown;

  async function* chunks(signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const sent = new Uint8Array(bucket.files.length);
    for await (const { index, bytes } of bucket.read(signal)) {
      const file = bucket.files[index];
      if (file === undefined || sent[index] === 1)
        throw mismatch(`The bucket reader sent file ${index} twice.`);
      sent[index] = 1;
      const header = headers[index];
      if (header === undefined) continue;
      if (bytes.byteLength !== file.size) {
        throw mismatch(`Asset ${file.hash} has ${bytes.byteLength} bytes, ${file.size} declared.`);
      }
      yield* encodePart(header, bytes);
    }
    // The trailer completes the declared length: only a body that carried every file ends.
    if (sent.some((flag) => flag === 0))
      throw mismatch('The bucket reader ended before every file was sent.');
    yield trailer;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    get failure() {
      return failure;
    },
    stream() {
      failure = undefined;
      const abort = new AbortController();
      const source = chunks(abort.signal);
      // highWaterMark 0: a chunk is read and encoded only when fetch asks for it.
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            try {
              const next = await source.next();
              if (next.done) controller.close();
              else controller.enqueue(next.value);
            } catch (error) {
              // After a cancel, the reader fails because its reads were aborted: not the body's fault.
              if (!abort.signal.aborted) failure = error;
              controller.error(error);
            }
          },
          cancel() {
            // The reader may be waiting on the archive: abort its reads, then let the generator finish.
            abort.abort();
            source.return(undefined).catch(() => undefined);
          },
        },
        { highWaterMark: 0 },
      );
    },
  };
}

function partHeader(file: StreamedAssetFile, boundary: string): Buffer {
  const type = file.contentType === null || file.contentType === '' ? NO_CONTENT_TYPE : file.contentType;
  const name = headerValue(file.hash);
  return Buffer.from(
    `--${boundary}${CRLF}Content-Disposition: form-data; name="${name}"; filename="${name}"${CRLF}` +
      `Content-Type: ${headerValue(type)}${CRLF}${CRLF}`,
  );
}

/**
 * A part as few chunks: a file up to one base64 chunk goes out as one buffer (header, base64, CRLF), so a
 * bucket of small files costs one socket write per file, not three (each write is a TCP segment on a
 * connection without Nagle); a larger file is its header, then one chunk per {@link BASE64_CHUNK_BYTES},
 * the last one carrying the CRLF. Every part header starts a chunk.
 */
function* encodePart(header: Buffer, content: Uint8Array): Generator<Uint8Array> {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (bytes.length <= BASE64_CHUNK_BYTES) {
    const chunk = Buffer.allocUnsafeSlow(header.length + base64Length(bytes.length) + CRLF.length);
    header.copy(chunk);
    const end = header.length + chunk.write(bytes.toString('base64'), header.length, 'latin1');
    chunk.write(CRLF, end, 'latin1');
    yield chunk;
    return;
  }
  yield header;
  for (let offset = 0; offset < bytes.length; offset += BASE64_CHUNK_BYTES) {
    const text = bytes.subarray(offset, offset + BASE64_CHUNK_BYTES).toString('base64');
    const last = offset + BASE64_CHUNK_BYTES >= bytes.length;
    yield Buffer.from(last ? text + CRLF : text, 'latin1');
  }
}
