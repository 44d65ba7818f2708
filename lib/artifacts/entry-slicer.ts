/**
 * Cuts one sequential byte stream of the archive into entries: for each target (sorted by offset) it
 * skips to the local header, checks it, and hands over exactly the compressed bytes. Only the bytes of
 * the entry being cut are held; the consumer of the generator provides the backpressure.
 */
import { InvalidArtifactError } from '../errors.js';
import { checkLocalHeader, type ExpectedEntry } from './entry-decoder.js';
import { LOCAL_HEADER_SIZE } from './zip-records.js';

/** An entry to cut out of the stream. */
export interface SliceTarget extends ExpectedEntry {
  /** The entry's bytes must end before this offset (the next record); unchecked when absent. */
  limit?: number;
}

/** A FIFO of chunks with an absolute position: skip, peek and take without copying where possible. */
class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  length = 0;

  constructor(public position: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Consumes up to `count` bytes and returns them as slices of the received chunks. */
  take(count: number): Buffer[] {
    const taken: Buffer[] = [];
    let wanted = Math.min(count, this.length);
    while (wanted > 0) {
      const chunk = this.chunks[0];
      if (chunk === undefined) break;
      const part = chunk.subarray(this.head, Math.min(chunk.length, this.head + wanted));
      taken.push(part);
      wanted -= part.length;
      this.advance(part.length);
    }
    return taken;
  }

  skip(count: number): number {
    let skipped = 0;
    for (const part of this.take(count)) skipped += part.length;
    return skipped;
  }

  /** The next `count` bytes (count <= length) without consuming them. */
  peek(count: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count)
      return first.subarray(this.head, this.head + count);
    const parts: Buffer[] = [];
    let wanted = count;
    let head = this.head;
    for (const chunk of this.chunks) {
      if (wanted <= 0) break;
      const part = chunk.subarray(head, Math.min(chunk.length, head + wanted));
      parts.push(part);
      wanted -= part.length;
      head = 0;
    }
    return Buffer.concat(parts, count);
  }

  private advance(count: number): void {
    this.head += count;
    this.length -= count;
    this.position += count;
    const first = this.chunks[0];
    if (first !== undefined && this.head >= first.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

const describe = (target: SliceTarget): string =>
  target.path === undefined ? `the entry at offset ${target.offset}` : `/${target.path}`;

const corrupt = (message: string, target: SliceTarget | undefined) =>
  new InvalidArtifactError(
    'artifact.corrupt',
    message,
    target?.path === undefined ? {} : { entry: `/${target.path}` },
  );

/**
 * Reads `chunks` (the archive from `start`) and yields each target with its compressed bytes, in order.
 * Stops reading (and so releases the stream) after the last target, or when the consumer stops.
 */
export async function* sliceEntries<T extends SliceTarget>(
  chunks: AsyncIterable<Buffer>,
  start: number,
  targets: readonly T[],
): AsyncGenerator<{ target: T; compressed: Buffer; headerSize: number }> {
  const queue = new ByteQueue(start);
  let index = 0;
  let phase: 'seek' | 'header' | 'data' = 'seek';
  let parts: Buffer[] = [];
  let remaining = 0;
  let headerSize = 0;
  for await (const chunk of chunks) {
    queue.push(chunk);
    while (index < targets.length) {
      const target = targets[index] as T;
      if (phase === 'seek') {
        if (queue.position > target.offset)
          throw corrupt(`The entry ${describe(target)} overlaps the entry before it.`, target);
        const gap = target.offset - queue.position;
        if (queue.skip(gap) < gap) break;
        phase = 'header';
      }
      if (phase === 'header') {
        if (queue.length < LOCAL_HEADER_SIZE) break;
        const fixed = queue.peek(LOCAL_HEADER_SIZE);
        const full =
          checkLocalHeader(fixed, target) ??
          LOCAL_HEADER_SIZE + fixed.readUInt16LE(26) + fixed.readUInt16LE(28);
        if (queue.length < full) break;
        checkLocalHeader(queue.peek(full), target);
        queue.skip(full);
        headerSize = full;
        if (target.limit !== undefined && queue.position + target.compressedSize > target.limit) {
          throw corrupt(`The data of ${describe(target)} runs into the next entry.`, target);
        }
        phase = 'data';
        parts = [];
        remaining = target.compressedSize;
      }
      for (const part of queue.take(remaining)) {
        parts.push(part);
        remaining -= part.length;
      }
      if (remaining > 0) break;
      const compressed = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      parts = [];
      phase = 'seek';
      index += 1;
      yield { target, compressed, headerSize };
    }
    if (index === targets.length) break;
  }
  if (index < targets.length) {
    const target = targets[index] as T;
    throw corrupt(`The archive ends inside ${describe(target)} (truncated).`, target);
  }
}
