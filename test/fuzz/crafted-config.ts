/**
 * Crafted steering files from small grammars: `wrangler.json(c)` with every field the reader checks set to
 * valid, edge and hostile values (deep nesting now and then, prototype keys, binding sections, paths out
 * of the archive, oversized vars), and `.assetsignore` rules built from glob tokens and repeated motifs
 * next to deep paths (what makes glob-to-regex matchers backtrack).
 */
import { buildZip } from '../helpers/zip-writer.js';
import { WORKER } from './crafted.js';
import type { Mutation } from './havoc.js';
import type { Dice } from './prng.js';

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
/** Repeated, these make glob-to-regex translations backtrack on deep paths. */
const GLOB_MOTIFS = ['a/**/', '**/a/', '*a', 'a/*/', '*/', 'a*'];

const assetsIgnore = (dice: Dice): Mutation => {
  const tokens = (count: number) => Array.from({ length: count }, () => dice.pick(GLOB_TOKENS)).join('');
  const line = () =>
    dice.weighted<() => string>([
      [() => tokens(dice.between(1, 6)), 5],
      [() => `${tokens(1)}${tokens(dice.between(1, 3)).repeat(dice.between(2, 8))}${tokens(1)}`, 3],
      [() => `${dice.pick(GLOB_MOTIFS).repeat(dice.between(2, 6))}${tokens(1)}`, 2],
    ])();
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

/** The steering-file generators, with weights. */
export const CONFIG_GENERATORS: ReadonlyArray<readonly [(dice: Dice) => Mutation, number]> = [
  [config, 3],
  [assetsIgnore, 2],
];
