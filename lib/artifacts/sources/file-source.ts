/** A {@link ZipSource} over a local file: positional reads on one file handle, closed by `close()`. */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ZipSource } from '../types.js';

/** Read size of `stream()`: large reads keep the sequential pass fast. */
const STREAM_CHUNK_BYTES = 1024 * 1024;

/** Opens `path` for reading. */
export async function openFileSource(path: string): Promise<ZipSource> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  let bytesRead = 0;
  let closed = false;
  return {
    size,
    get bytesRead() {
      return bytesRead;
    },
    read: async (offset, length) => {
      const wanted = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.alloc(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead: got } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (got === 0) break;
        filled += got;
      }
      bytesRead += filled;
      return filled === wanted ? buffer : buffer.subarray(0, filled);
    },
    stream: (start, end) => {
      const to = Math.min(end, size);
      if (to <= start) return Readable.from([]);
      const file = handle.createReadStream({
        start,
        end: to - 1,
        autoClose: false,
        highWaterMark: STREAM_CHUNK_BYTES,
      });
      // Counting in a generator (not a 'data' listener, which would switch the stream to flowing mode);
      // destroying the returned stream ends the generator, which destroys the file stream.
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of file) {
          bytesRead += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      }
      return Readable.from(counted(), { objectMode: false });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
