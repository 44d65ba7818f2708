/**
 * Turns `(seed, iteration)` into one fuzz input, deterministically: a corpus seed with structure-aware
 * mutations, a crafted archive (sometimes mutated further), structure-blind havoc, or two seeds spliced.
 * The same corpus, seed and iteration always give the same bytes, so a crash can be regenerated.
 */

import { STRUCTURE_GENERATORS } from './crafted.js';
import { CONFIG_GENERATORS } from './crafted-config.js';
import { CONTENT_GENERATORS } from './crafted-content.js';
import { ZIP64_GENERATORS } from './crafted-zip64.js';
import { havoc, type Mutation } from './havoc.js';
import { mutate } from './mutators.js';
import { type Dice, diceFor } from './prng.js';

/** A corpus seed. */
export interface Seed {
  name: string;
  bytes: Buffer;
}

export type Strategy = 'mutate' | 'crafted' | 'havoc' | 'splice';

export interface FuzzInput extends Mutation {
  strategy: Strategy;
}

const GENERATORS = [
  ...STRUCTURE_GENERATORS,
  ...ZIP64_GENERATORS,
  ...CONTENT_GENERATORS,
  ...CONFIG_GENERATORS,
];

/** 1 to 4 mutations, mostly 1 or 2. */
const mutationCount = (dice: Dice) =>
  dice.weighted([
    [1, 5],
    [2, 3],
    [3, 1],
    [4, 1],
  ] as const);

/** The input of `iteration` in the run `seed` over `seeds` (which must not be empty). */
export function generateInput(seeds: readonly Seed[], seed: number, iteration: number): FuzzInput {
  const dice = diceFor(seed, iteration);
  const strategy = dice.weighted<Strategy>([
    ['mutate', 45],
    ['crafted', 35],
    ['havoc', 12],
    ['splice', 8],
  ]);
  if (strategy === 'crafted') {
    const crafted = dice.weighted(GENERATORS)(dice);
    if (!dice.chance(0.3)) return { ...crafted, strategy };
    const mutated = mutate(crafted.bytes, dice, 1);
    return { bytes: mutated.bytes, label: `${crafted.label} | ${mutated.label}`, strategy };
  }
  const base = dice.pick(seeds);
  if (strategy === 'mutate') {
    const mutated = mutate(base.bytes, dice, mutationCount(dice));
    return { bytes: mutated.bytes, label: `${base.name} | ${mutated.label}`, strategy };
  }
  if (strategy === 'havoc') {
    let bytes = base.bytes;
    const labels: string[] = [];
    for (let i = dice.between(1, 8); i > 0; i -= 1) {
      const step = havoc(bytes, dice);
      bytes = step.bytes;
      labels.push(step.label);
    }
    return { bytes, label: `${base.name} | ${labels.join(' | ')}`, strategy };
  }
  const other = dice.pick(seeds);
  const cut = dice.int(base.bytes.length + 1);
  const from = dice.int(other.bytes.length + 1);
  return {
    bytes: Buffer.concat([base.bytes.subarray(0, cut), other.bytes.subarray(from)]),
    label: `splice ${base.name}[0, ${cut}) + ${other.name}[${from}, end)`,
    strategy,
  };
}
