/**
 * Structure-blind mutations: bit flips, byte sets, inserts, deletes, duplicated ranges, truncation and
 * garbage around the archive. `mutateHeaderBytes` (flips inside any record found by its signature, or a
 * cut) is the seeded mutation test's operator, shared here.
 */
import { edgeValue } from './dictionary.js';
import type { Dice, Random } from './prng.js';

export interface Mutation {
  bytes: Buffer;
  label: string;
}

/** Record signatures and the fixed lengths after them: where a flipped byte makes a header lie. */
const RECORDS = [
  [0x04034b50, 30],
  [0x02014b50, 46],
  [0x06054b50, 22],
  [0x06064b50, 56],
  [0x07064b50, 20],
] as const;

/** Offsets of header fields found by signature (works on archives too damaged to map). */
export function headerOffsets(zip: Buffer): number[] {
  const offsets: number[] = [];
  for (const [signature, length] of RECORDS) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(signature);
    for (let at = zip.indexOf(bytes); at >= 0; at = zip.indexOf(bytes, at + 1)) {
      for (let i = 0; i < length + 8; i += 1) if (at + i < zip.length) offsets.push(at + i);
    }
  }
  return offsets;
}

/** Cuts the archive short (15%) or sets one to three bytes, mostly inside headers. */
export function mutateHeaderBytes(zip: Buffer, next: Random): Buffer {
  const copy = Buffer.from(zip);
  const kind = next();
  if (kind < 0.15) return copy.subarray(0, Math.floor(next() * copy.length));
  const headers = headerOffsets(copy);
  const flips = 1 + Math.floor(next() * 3);
  for (let i = 0; i < flips; i += 1) {
    const at =
      kind < 0.85 ? (headers[Math.floor(next() * headers.length)] ?? 0) : Math.floor(next() * copy.length);
    const value = next();
    copy[at] = value < 0.3 ? 0xff : value < 0.5 ? 0 : Math.floor(next() * 256);
  }
  return copy;
}

const at = (bytes: Buffer, dice: Dice) => dice.int(Math.max(1, bytes.length));

/** One structure-blind edit. */
export function havoc(bytes: Buffer, dice: Dice): Mutation {
  const position = at(bytes, dice);
  const out = Buffer.from(bytes);
  return dice.weighted<() => Mutation>([
    [
      () => {
        const bit = dice.int(8);
        if (position < out.length) out[position] = (out[position] ?? 0) ^ (1 << bit);
        return { bytes: out, label: `havoc flip bit ${bit} @${position}` };
      },
      4,
    ],
    [
      () => {
        const value = dice.pick([0, 0xff, 0x7f, 0x80, 0x50, 0x4b, dice.int(256)]);
        if (position < out.length) out[position] = value;
        return { bytes: out, label: `havoc byte @${position}=${value}` };
      },
      3,
    ],
    [
      () => {
        const field = {
          label: 'u32',
          at: Math.min(position, Math.max(0, out.length - 4)),
          width: 4,
          role: 'size',
        } as const;
        const value = edgeValue(field, out.length >= 4 ? out.readUInt32LE(field.at) : 0, dice, out.length);
        if (out.length >= 4) out.writeUInt32LE(Number(BigInt.asUintN(32, BigInt(value))), field.at);
        return { bytes: out, label: `havoc u32 @${field.at}=${value}` };
      },
      3,
    ],
    [
      () => {
        const insert = dice.chance(0.5)
          ? dice.bytes(dice.small(256))
          : Buffer.alloc(dice.small(256), dice.int(256));
        return {
          bytes: Buffer.concat([bytes.subarray(0, position), insert, bytes.subarray(position)]),
          label: `havoc insert ${insert.length} @${position}`,
        };
      },
      2,
    ],
    [
      () => {
        const length = dice.small(512);
        return {
          bytes: Buffer.concat([bytes.subarray(0, position), bytes.subarray(position + length)]),
          label: `havoc delete ${length} @${position}`,
        };
      },
      2,
    ],
    [
      () => {
        const length = dice.small(1024);
        const from = at(bytes, dice);
        const copy = bytes.subarray(from, from + length);
        return {
          bytes: Buffer.concat([bytes.subarray(0, position), copy, bytes.subarray(position)]),
          label: `havoc copy ${copy.length} from @${from} to @${position}`,
        };
      },
      2,
    ],
    [() => ({ bytes: bytes.subarray(0, position), label: `havoc truncate to ${position}` }), 2],
    [
      () => {
        const garbage = dice.bytes(dice.small(4096));
        return dice.chance(0.5)
          ? { bytes: Buffer.concat([bytes, garbage]), label: `havoc append ${garbage.length}` }
          : { bytes: Buffer.concat([garbage, bytes]), label: `havoc prepend ${garbage.length}` };
      },
      1,
    ],
    [() => ({ bytes: mutateHeaderBytes(bytes, dice.next), label: 'havoc header bytes' }), 2],
  ])();
}
