/** A {@link ZipSource} over bytes already in memory (tests and small tools). */
import { Readable } from 'node:stream';
import type { ZipSource } from '../types.js';

/** Chunk size of `stream()`, so consumers see more than one chunk as they would from a file or S3. */
const CHUNK_BYTES = 64 * 1024;

/** Wraps `bytes`; `chunkBytes` sets the size of streamed chunks. */
export function openBufferSource(bytes: Uint8Array, chunkBytes = CHUNK_BYTES): ZipSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let bytesRead = 0;
  const clamp = (offset: number, end: number) =>
    [Math.max(0, Math.min(offset, buffer.length)), Math.max(0, Math.min(end, buffer.length))] as const;
  return {
    size: buffer.length,
    get bytesRead() {
      return bytesRead;
    },
    read: async (offset, length) => {
      const [from, to] = clamp(offset, offset + length);
      bytesRead += to - from;
      return Buffer.from(buffer.subarray(from, to));
    },
    stream: (start, end) => {
      const [from, to] = clamp(start, end);
      function* chunks() {
        for (let at = from; at < to; at += chunkBytes) {
          const chunk = buffer.subarray(at, Math.min(to, at + chunkBytes));
          bytesRead += chunk.length;
          yield chunk;
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    close: async () => undefined,
  };
}
