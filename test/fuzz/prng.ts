/**
 * Seeded pseudo-random choices for the fuzzer and the mutation test. Every fuzz input is derived from
 * `(seed, iteration)` alone, so any input can be regenerated from the two numbers a run prints.
 */

/** A source of floats in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast and well spread; only ever used to pick mutations. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of one iteration: a murmur3-style mix, so neighbouring iterations share nothing. */
export function iterationSeed(seed: number, iteration: number): number {
  let h = (seed ^ Math.imul(iteration + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Convenience choices over a {@link Random}. */
export class Dice {
  constructor(readonly next: Random) {}

  /** An integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items` (which must not be empty). */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** One of `entries`, each with a relative weight. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [item, weight] of entries) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return this.pick(entries)[0];
  }

  /** `length` random bytes. */
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) out[i] = this.int(256);
    return out;
  }

  /** A size skewed towards small values (1, 2, 4 ... up to `max`), as most interesting edits are small. */
  small(max: number): number {
    return Math.max(1, Math.min(max, 2 ** this.int(Math.log2(max) + 1) + this.int(2)));
  }
}

/** A {@link Dice} for iteration `iteration` of run `seed`. */
export const diceFor = (seed: number, iteration: number): Dice =>
  new Dice(createRandom(iterationSeed(seed, iteration)));
