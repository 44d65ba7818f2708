/**
 * A short, deterministic mutation run: valid archives with bytes flipped in their headers, sizes, offsets
 * and names, or cut short, must each end in an artifact or an InvalidArtifactError (never another error,
 * a crash or a hang). Issue 10's fuzzer runs the long version of this.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArtifactError } from '../../../lib/errors.js';
import { zipWithPython, zipWithYazl } from '../../helpers/zip-producers.js';
import { readZip } from '../../helpers/zip-read.js';
import { buildZip } from '../../helpers/zip-writer.js';

const SITE = {
  'wrangler.json': '{ "main": "worker.js", "assets": { "directory": "public" } }',
  'worker.js': 'export default { fetch() { return new Response("ok"); } };',
  'public/index.html': '<h1>hello</h1>'.repeat(50),
  'public/a/b.txt': 'b'.repeat(3000),
  'public/_headers': '/*\n  X: y\n',
};

/** mulberry32. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of header fields: where a flipped byte makes a header lie rather than damage data. */
function headerOffsets(zip: Buffer): number[] {
  const offsets: number[] = [];
  for (const [signature, length] of [
    [0x04034b50, 30],
    [0x02014b50, 46],
    [0x06054b50, 22],
    [0x06064b50, 56],
    [0x07064b50, 20],
  ] as const) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(signature);
    for (let at = zip.indexOf(bytes); at >= 0; at = zip.indexOf(bytes, at + 1)) {
      for (let i = 0; i < length + 8; i += 1) if (at + i < zip.length) offsets.push(at + i);
    }
  }
  return offsets;
}

function mutate(zip: Buffer, next: () => number): Buffer {
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

describe('mutated archives', () => {
  it('each end in an artifact or a categorised rejection, within a deadline', async () => {
    // Prepare
    const bases = [
      buildZip(Object.entries(SITE).map(([name, data]) => ({ name, data }))),
      buildZip(
        Object.entries(SITE).map(([name, data]) => ({ name, data, zip64: true, dataDescriptor: true })),
        { zip64End: true },
      ),
      await zipWithPython(SITE, { streamed: true }),
      await zipWithYazl(SITE, { zip64: true }),
    ];
    const next = random(20261122);
    const outcomes = new Map<string, number>();
    // Act
    for (let round = 0; round < 400; round += 1) {
      const base = bases[round % bases.length] as Buffer;
      const mutated = mutate(base, next);
      const started = performance.now();
      const outcome = await readZip(mutated).then(
        () => 'ok',
        (error: unknown) =>
          error instanceof InvalidArtifactError ? error.code : `UNEXPECTED ${String(error)}`,
      );
      // Assess
      expect(outcome, `round ${round}`).not.toMatch(/^UNEXPECTED/);
      expect(performance.now() - started).toBeLessThan(2000);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(outcomes.get('artifact.corrupt')).toBeGreaterThan(50);
  });
});
