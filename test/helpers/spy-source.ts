/** A zip source wrapped to record every ranged stream opened on it (each is one ranged GET on S3). */
import type { Readable } from 'node:stream';
import type { ZipSource } from '../../lib/artifacts/types.js';

/** `spy` reads through `source`; `streams` lists each range streamed and its stream, in order. */
export function spyOn(source: ZipSource) {
  const streams: Array<{ start: number; end: number; stream: Readable }> = [];
  const spy: ZipSource = {
    get size() {
      return source.size;
    },
    get bytesRead() {
      return source.bytesRead;
    },
    read: (offset, length) => source.read(offset, length),
    stream: (start, end) => {
      const stream = source.stream(start, end);
      streams.push({ start, end, stream });
      return stream;
    },
    close: () => source.close(),
  };
  return { spy, streams };
}
