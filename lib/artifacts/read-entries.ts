/**
 * Reads chosen entries back from an archive (upload workers read their bucket's assets, finalize reads
 * the modules): ranged reads, adjacent entries coalesced into one range, every entry re-checked against
 * its local header, inflated with the output capped, and verified by size and CRC-32. Memory is bounded
 * by what the consumer keeps plus one entry: the upload stage streams its bucket straight into the
 * request body and keeps nothing; finalize keeps its modules.
 */
import { InvalidArtifactError } from '../errors.js';
import { decodeEntry } from './entry-decoder.js';
import { type SliceTarget, sliceEntries } from './entry-slicer.js';
import type { EntryLocation, ZipSource } from './types.js';
import { LOCAL_HEADER_SIZE } from './zip-records.js';

/** One entry's verified bytes; `index` is its position in the caller's list. */
export interface EntryBytes {
  index: number;
  location: EntryLocation;
  bytes: Buffer;
}

/** Gaps up to this size between two wanted entries are read through rather than starting a new GET. */
export const MAX_GAP_BYTES = 64 * 1024;
/** The longest local header (name and extra field are each at most 64 KiB). */
const MAX_HEADER_BYTES = LOCAL_HEADER_SIZE + 0xffff * 2;

interface Target extends SliceTarget {
  indices: number[];
  end: number;
}

/** A location, optionally with the offset it must end before (known at ingest, tightens the read). */
export type BoundedLocation = EntryLocation & { limit?: number };

/** Where reading the entry can stop: exact with `headerSize`, else its limit, else the largest header. */
const endOf = (location: BoundedLocation, size: number): number =>
  Math.min(
    size,
    location.headerSize !== undefined
      ? location.offset + location.headerSize + location.compressedSize
      : (location.limit ?? location.offset + MAX_HEADER_BYTES + location.compressedSize),
  );

/** Validates the locations and merges duplicates; sorted by offset. */
function planTargets(source: ZipSource, locations: readonly BoundedLocation[]): Target[] {
  const byOffset = new Map<number, Target>();
  locations.forEach((location, index) => {
    const known = byOffset.get(location.offset);
    if (known !== undefined) {
      known.indices.push(index);
      return;
    }
    const minimalEnd = location.offset + (location.headerSize ?? LOCAL_HEADER_SIZE) + location.compressedSize;
    if (!Number.isSafeInteger(location.offset) || location.offset < 0 || minimalEnd > source.size) {
      throw new InvalidArtifactError(
        'artifact.corrupt',
        `The entry at offset ${location.offset} lies outside the archive.`,
      );
    }
    byOffset.set(location.offset, {
      ...location,
      indices: [index],
      end: endOf(location, source.size),
    });
  });
  return [...byOffset.values()].sort((a, b) => a.offset - b.offset);
}

/** Groups sorted targets into ranges whose gaps are at most {@link MAX_GAP_BYTES}. */
export function coalesce<T extends { offset: number; end: number }>(targets: readonly T[]): T[][] {
  const ranges: T[][] = [];
  let current: T[] = [];
  let end = -1;
  for (const target of targets) {
    if (current.length > 0 && target.offset - end > MAX_GAP_BYTES) {
      ranges.push(current);
      current = [];
    }
    current.push(target);
    end = Math.max(end, target.end);
  }
  if (current.length > 0) ranges.push(current);
  return ranges;
}

/**
 * Yields the verified bytes of each location, in archive order (duplicates yielded once per index); an
 * entry is yielded only once its size and CRC-32 are checked. Aborting `signal` destroys the read in
 * progress (a reader feeding a request that was given up must not keep its S3 stream open).
 */
export async function* readEntries(
  source: ZipSource,
  locations: readonly BoundedLocation[],
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<EntryBytes> {
  const { signal } = options;
  for (const range of coalesce(planTargets(source, locations))) {
    signal?.throwIfAborted();
    const first = range[0] as Target;
    const end = Math.max(...range.map((target) => target.end));
    const stream = source.stream(first.offset, end);
    const destroy = () => stream.destroy();
    signal?.addEventListener('abort', destroy, { once: true });
    try {
      for await (const { target, compressed } of sliceEntries(stream, first.offset, range)) {
        const bytes = await decodeEntry(compressed, target);
        for (const index of target.indices) {
          yield { index, location: locations[index] as EntryLocation, bytes };
        }
      }
    } finally {
      signal?.removeEventListener('abort', destroy);
      stream.destroy();
    }
  }
}

/**
 * A buffer that owns its memory. A stored entry is a view into a received chunk, and a small inflated one
 * a view into Node's 8 KiB buffer pool: kept as they are, each would pin its whole backing store (the
 * benchmark saw a 50 MiB bucket hold ~2.7x its size when inflate chunks were 16 KiB at least).
 */
export const compactBuffer = (bytes: Buffer): Buffer =>
  bytes.byteLength < bytes.buffer.byteLength ? Buffer.from(bytes) : bytes;

/** The verified bytes of `locations`, in the order given; callers keep them, so each is compacted. */
export async function readEntryBuffers(
  source: ZipSource,
  locations: readonly BoundedLocation[],
): Promise<Buffer[]> {
  const buffers = new Array<Buffer>(locations.length);
  for await (const { index, bytes } of readEntries(source, locations)) buffers[index] = compactBuffer(bytes);
  return buffers;
}
