/**
 * Crafted contents: bombs (deflate streams far larger than the sizes declared, built in O(1) time from
 * one byte-aligned block per MiB), very long names, extra fields and comments, many tiny entries, and
 * hostile `wrangler.json` / `.assetsignore` files from small grammars.
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

/** A JSON value of random shape; deep nesting on purpose now and then. */
function jsonValue(dice: Dice, depth: number): string {
  if (depth > 0 && dice.chance(0.05)) {
    const levels = 2 ** dice.between(4, 15);
    const [open, close] = dice.pick([
      ['[', ']'],
      ['{"a":', '}'],
    ] as const);
    return open.repeat(levels) + close.repeat(levels);
  }
  return dice.weighted<() => string>([
    [() => JSON.stringify(dice.pick(['', 'x', 'a'.repeat(70_000), '\u0000', 'public', '../x', '/abs'])), 4],
    [() => String(dice.pick([0, -1, 1e308, 3.5])), 1],
    [() => dice.pick(['true', 'false', 'null']), 1],
    [
      () => `[${Array.from({ length: dice.between(0, 3) }, () => jsonValue(dice, depth - 1)).join(',')}]`,
      depth > 0 ? 1 : 0,
    ],
    [
      () =>
        `{${Array.from({ length: dice.between(0, 3) }, () => `"${dice.pick(KEYS)}":${jsonValue(dice, depth - 1)}`).join(',')}}`,
      depth > 0 ? 1 : 0,
    ],
  ])();
}

const KEYS = ['main', 'directory', 'binding', 'A', '__proto__', 'constructor', 'kv_namespaces', 'x'];

const CONFIG_FIELDS: ReadonlyArray<readonly [string, (dice: Dice) => string]> = [
  [
    'main',
    (dice) =>
      JSON.stringify(
        dice.pick([
          'worker.js',
          'src/index.js',
          '../worker.js',
          '/worker.js',
          'C:\\w.js',
          'public/index.html',
          'missing.js',
          '',
        ]),
      ),
  ],
  ['compatibility_date', (dice) => JSON.stringify(dice.pick(['2025-01-01', '2025-13-45', 'today', '']))],
  [
    'compatibility_flags',
    (dice) => JSON.stringify(dice.pick([[], ['nodejs_compat'], ['A B'], ['x'.repeat(1000)]])),
  ],
  [
    'vars',
    (dice) =>
      dice.chance(0.3)
        ? `{${Array.from({ length: dice.pick([1, 64, 65, 500]) }, (_, i) => `"V${i}":"${'v'.repeat(dice.pick([1, 2000]))}"`).join(',')}}`
        : jsonValue(dice, 3),
  ],
  [
    'assets',
    (dice) =>
      dice.chance(0.5)
        ? `{"directory":${JSON.stringify(dice.pick(['public', './public', '../x', '', 'nothing']))},"binding":${JSON.stringify(dice.pick(['ASSETS', 'constructor', '1x', '__proto__']))}}`
        : jsonValue(dice, 3),
  ],
  ['kv_namespaces', (dice) => jsonValue(dice, 2)],
  ['__proto__', (dice) => jsonValue(dice, 2)],
];

const config = (dice: Dice): Mutation => {
  const fields = CONFIG_FIELDS.filter(() => dice.chance(0.4)).map(
    ([key, value]) => `"${key}":${value(dice)}`,
  );
  let text = `{${fields.join(dice.pick([',', ',\n// c\n']))}${dice.chance(0.2) ? ',' : ''}}`;
  if (dice.chance(0.1)) text = `\uFEFF${text}`;
  if (dice.chance(0.1)) text = text.slice(0, dice.int(text.length));
  const name = dice.pick(['wrangler.json', 'wrangler.jsonc']);
  const entries = [{ name, data: text }, WORKER, { name: 'public/index.html', data: '<p>hi</p>' }];
  return { bytes: buildZip(entries), label: `crafted: ${name} ${JSON.stringify(text.slice(0, 80))}…` };
};

const GLOB_TOKENS = ['**/', '*', 'a/', '?', '[a-z]', '!', '\\', '#', '/', 'a', '**', '[!a]', ' '];

const assetsIgnore = (dice: Dice): Mutation => {
  const tokens = (count: number) => Array.from({ length: count }, () => dice.pick(GLOB_TOKENS)).join('');
  // Repeating a short group of tokens is what makes glob-to-regex translations backtrack.
  const line = () =>
    dice.chance(0.3)
      ? `${tokens(1)}${tokens(dice.between(1, 3)).repeat(dice.between(2, 8))}${tokens(1)}`
      : tokens(dice.between(1, 6));
  const text = Array.from({ length: dice.small(64) }, line).join('\n');
  const depth = dice.pick([1, 3, 50, 200, 500]);
  const entries = [
    WORKER,
    { name: 'public/.assetsignore', data: text },
    { name: `public/${'a/'.repeat(depth)}q.txt`.slice(0, 1024), data: 'q' },
    { name: 'public/index.html', data: '<p>hi</p>' },
  ];
  return {
    bytes: buildZip(entries),
    label: `crafted: .assetsignore ${JSON.stringify(text.slice(0, 80))} with a path ${depth} deep`,
  };
};

/** The content generators, with weights. */
export const CONTENT_GENERATORS: ReadonlyArray<readonly [(dice: Dice) => Mutation, number]> = [
  [bomb, 3],
  [storedLie, 1],
  [longNames, 2],
  [manyTiny, 1],
  [config, 3],
  [assetsIgnore, 2],
];
