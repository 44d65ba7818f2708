/**
 * Crafted contents: bombs (deflate streams far larger than the sizes declared, built in O(1) time from
 * one byte-aligned block per MiB), very long names, extra fields and comments, and many tiny entries.
 * Hostile steering files are in `crafted-config.ts`.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { buildZip, type ZipEntrySpec } from '../helpers/zip-writer.js';
import { WORKER } from './crafted.js';
import type { Mutation } from './havoc.js';
import type { Dice } from './prng.js';

const MiB = 1024 * 1024;

/** One MiB of zeros as non-final deflate blocks ending on a byte boundary (sync flush): repeatable. */
let zerosBlock: Buffer | undefined;
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/** A raw deflate stream of `mib` MiB of zeros (about 1 KiB of input per MiB of output). */
export function zerosDeflate(mib: number): Buffer {
  zerosBlock ??= deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_SYNC_FLUSH });
  return Buffer.concat([...Array.from({ length: mib }, () => zerosBlock as Buffer), FINAL_EMPTY_BLOCK]);
}

const bomb = (dice: Dice): Mutation => {
  const mib = dice.pick([1, 2, 26, 64, 256, 1024]);
  const compressed = zerosDeflate(mib);
  const real = mib * MiB;
  const declared = dice.pick([0, 1, 1000, MiB - 1, MiB, 25 * MiB, 25 * MiB + 1, real, real - 1]);
  const entry: ZipEntrySpec = {
    name: 'public/bomb.bin',
    data: Buffer.alloc(0),
    method: 8,
    compressed,
    size: declared,
    // Never checked: every variant is refused on its sizes or stopped one byte past the declared size.
    crc32: dice.int(2 ** 32),
    ...(dice.chance(0.3) ? { dataDescriptor: true } : {}),
    ...(dice.chance(0.3) ? { zip64: true } : {}),
  };
  return {
    bytes: buildZip([WORKER, entry]),
    label: `crafted: bomb of ${mib} MiB declared as ${declared} bytes`,
  };
};

const storedLie = (dice: Dice): Mutation => {
  const data = Buffer.alloc(dice.between(1, 5000), 0x61);
  const size = dice.pick([0, data.length - 1, data.length + 1, data.length * 1000, 25 * MiB + 1]);
  const entry: ZipEntrySpec = {
    name: 'public/a.txt',
    data,
    method: 0,
    size,
    ...(dice.chance(0.5) ? { compressedSize: size } : {}),
  };
  return {
    bytes: buildZip([WORKER, entry]),
    label: `crafted: stored entry of ${data.length} declared ${size}`,
  };
};

const longNames = (dice: Dice): Mutation => {
  const long = dice.pick([
    `public/${'n'.repeat(dice.pick([254, 255, 256, 1000]))}`,
    `public/${'d/'.repeat(dice.pick([100, 508, 509, 600]))}f`,
    'x'.repeat(dice.pick([1017, 1024, 1025, 0xffff])),
  ]);
  const entry: ZipEntrySpec = {
    name: long,
    data: 'x',
    ...(dice.chance(0.3) ? { centralExtra: Buffer.alloc(dice.pick([4, 0xfff0])) } : {}),
    ...(dice.chance(0.3) ? { localExtra: Buffer.alloc(dice.pick([4, 0xfff0])) } : {}),
  };
  const comment = dice.chance(0.3) ? 'c'.repeat(dice.pick([1, 0xffff])) : '';
  return {
    bytes: buildZip([WORKER, entry], { comment }),
    label: `crafted: a name of ${Buffer.byteLength(long)} bytes`,
  };
};

/** Many-entry archives take a while to build, so each shape is built once per process. */
const manyCache = new Map<string, Buffer>();

const manyTiny = (dice: Dice): Mutation => {
  const [kind, count] = dice.pick([
    ['files', 500],
    ['files', 5000],
    ['files', 19_999],
    ['files', 20_000],
    ['directories', 50_001],
    ['junk', 30_000],
  ] as const);
  const key = `${kind}:${count}`;
  let zip = manyCache.get(key);
  if (zip === undefined) {
    const name = (i: number) =>
      kind === 'files' ? `public/f/${i}.txt` : kind === 'junk' ? `__MACOSX/${i}` : `public/d${i}/`;
    zip = buildZip([
      WORKER,
      ...Array.from({ length: count }, (_, i) => ({
        name: name(i),
        data: kind === 'directories' ? '' : 'x',
        method: 0,
      })),
    ]);
    manyCache.set(key, zip);
  }
  return { bytes: zip, label: `crafted: ${count} tiny ${kind}` };
};

/** The content generators, with weights. */
export const CONTENT_GENERATORS: ReadonlyArray<readonly [(dice: Dice) => Mutation, number]> = [
  [bomb, 3],
  [storedLie, 1],
  [longNames, 2],
  [manyTiny, 1],
];
