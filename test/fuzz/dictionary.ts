/**
 * The fuzzer's dictionary: values that sit on the edges a zip reader checks (saturated zip64 markers,
 * the 25 MiB file limit, 2^53, counts past the record limit), entry names that attack path handling
 * (traversal, control and bidi characters, NFC/NFD twins, invalid or overlong UTF-8, prototype keys as
 * extensions) and extra-field blocks. Dictionaries are what lets a fuzzer reach checks that random
 * bytes almost never satisfy.
 */
import { crc32 } from 'node:zlib';
import type { Dice } from './prng.js';
import type { Field } from './zip-map.js';

const MiB = 1024 * 1024;

const MAX_BY_WIDTH = { 2: 0xffff, 4: 0xffffffff, 8: 2 ** 64 - 1 } as const;

const BY_ROLE: Partial<Record<Field['role'], readonly number[]>> = {
  size: [0, 1, 2, MiB - 1, MiB, 25 * MiB, 25 * MiB + 1, 0x7fffffff, 0xfffffffe, 0xffffffff],
  offset: [0, 1, 30, 0xfffffffe, 0xffffffff],
  count: [0, 1, 2, 0xfffe, 0xffff, 20_000, 20_001, 50_000, 50_001, 0x10000, 2 ** 32, 2 ** 53 - 1],
  length: [0, 1, 2, 3, 4, 5, 8, 9, 0x7fff, 0x8000, 0xfffe, 0xffff],
  method: [0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99, 0xffff],
  signature: [0x04034b50, 0x02014b50, 0x06054b50, 0x06064b50, 0x07064b50, 0x08074b50, 0],
  disk: [0, 1, 2, 0xfffe, 0xffff, 0xffffffff],
  attributes: [0, 0o100644 << 16, 0o120777 << 16, 0o040755 << 16, 0o140755 << 16, 0x10, 0xffffffff],
  version: [0, 20, 45, 63, 0x031e, 0x0314, 0x1314, 0x0a14, 0xffff],
  'extra-id': [0x0001, 0x7075, 0x5455, 0x000a, 0x9901, 0x0017, 0xffff],
};

const WIDE = [2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 2 ** 64 - 1];

/** A value for `field` that is likely to sit on an edge: dictionary, neighbours, extremes or random. */
export function edgeValue(field: Field, current: number, dice: Dice, archiveSize: number): number | bigint {
  const max = MAX_BY_WIDTH[field.width];
  const role = BY_ROLE[field.role] ?? [];
  const flags = [0x0001, 0x0008, 0x0040, 0x0800, 0x2000];
  return dice.weighted<() => number | bigint>([
    [() => dice.pick(role.length > 0 ? role : [0, max]), 4],
    [() => current + dice.pick([-2, -1, 1, 2]), 3],
    [() => current + dice.between(-300, 300), 2],
    [() => dice.pick([0, 1, max, max - 1, 2 ** (field.width * 8 - 1)]), 2],
    [() => dice.pick([archiveSize, archiveSize - 1, archiveSize - 22, archiveSize + 1]), 1],
    [() => current * dice.pick([2, 256, 1000, 65536]), 1],
    [() => Math.floor(current / dice.pick([2, 256])), 1],
    [() => current ^ dice.pick(flags), field.role === 'flags' ? 6 : 0],
    [() => dice.pick(WIDE), field.width === 8 ? 3 : 0],
    [() => BigInt.asUintN(field.width * 8, BigInt(`0x${dice.bytes(field.width).toString('hex')}`)), 1],
  ])();
}

/** Hostile and edge-case entry names (as raw bytes; strings are UTF-8). */
export const HOSTILE_NAMES: readonly (string | Buffer)[] = [
  '../evil.js',
  '../../../../etc/passwd',
  '/abs/worker.js',
  'C:\\win.js',
  'public\\..\\..\\x',
  'public/../../x',
  './worker.js',
  'public//a.txt',
  'public/./b.txt',
  '.',
  '..',
  '...',
  '.../x',
  'public/...',
  '',
  '/',
  '//',
  'a\u0000b.js',
  'public/a\nb.txt',
  'public/\u202etxt.js',
  'public/\u2066x',
  'public/e\u0301.html',
  'public/\u00e9.html',
  'public/CON',
  'public/ a ',
  'wrangler.json',
  'wrangler.jsonc',
  'wrangler.toml',
  'worker.js',
  'worker.mjs',
  'index.js',
  '_worker.js',
  'public/_worker.js',
  'public/_worker.js/index.js',
  'public/_headers',
  'public/_redirects',
  'public/.assetsignore',
  '__MACOSX/._worker.js',
  'public/.DS_Store',
  'public/x.constructor',
  'x.__proto__',
  'public/x.toString',
  'public/x.hasownproperty',
  'public/',
  'worker.js/',
  'public/index.html/',
  'public/a/',
  `public/${'x'.repeat(255)}`,
  `public/${'x'.repeat(256)}`,
  `${'a/'.repeat(511)}b`,
  `${'a/'.repeat(512)}b`,
  Buffer.from([0xff, 0xfe, 0x2e, 0x6a, 0x73]),
  Buffer.from('public/\xc0\xaf..\xc0\xafx', 'latin1'),
  Buffer.from('public/\xed\xa0\x80.txt', 'latin1'),
  Buffer.from('public/\x82\x8a.txt', 'latin1'),
  'public/a.wasm',
  'x.map',
  'worker.js.map',
  'public/%2e%2e/x',
  'wrapper/wrangler.json',
  'wrapper/worker.js',
];

const u16 = (value: number) => {
  const out = Buffer.alloc(2);
  out.writeUInt16LE(value);
  return out;
};
const u64 = (value: number | bigint) => {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)));
  return out;
};

/** One extra-field block, sometimes malformed (size past the end, truncated, zip64 with edge sizes). */
export function extraBlock(dice: Dice, name: Buffer): Buffer {
  const block = (id: number, data: Buffer, size = data.length) => Buffer.concat([u16(id), u16(size), data]);
  return dice.weighted<() => Buffer>([
    [
      () => block(1, Buffer.concat(Array.from({ length: dice.between(0, 4) }, () => u64(dice.pick(WIDE))))),
      3,
    ],
    [() => block(1, u64(dice.between(0, 100_000))), 2],
    [() => block(1, dice.bytes(dice.between(0, 7))), 1],
    [() => block(0x7075, Buffer.concat([Buffer.from([1]), dice.bytes(4), Buffer.from('public/x.txt')])), 1],
    [() => block(0x7075, Buffer.concat([Buffer.from([1]), crcOf(name), Buffer.from('../evil.js')])), 2],
    [() => block(0x5455, dice.bytes(5)), 1],
    [() => block(dice.int(0x10000), dice.bytes(dice.small(64))), 1],
    [() => block(1, dice.bytes(4), dice.pick([0xffff, 100, 9])), 2],
    [() => dice.bytes(dice.between(1, 3)), 1],
  ])();
}

function crcOf(data: Buffer): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(crc32(data) >>> 0);
  return out;
}
