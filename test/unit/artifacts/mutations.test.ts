/**
 * A short, deterministic mutation run: valid archives with bytes flipped in their headers, sizes, offsets
 * and names, or cut short, must each end in an artifact or an InvalidArtifactError (never another error,
 * a crash or a hang). The mutation and the generator are shared with the fuzzer (test/fuzz, `npm run fuzz`),
 * which runs the long version of this with structure-aware mutations and crafted archives.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArtifactError } from '../../../lib/errors.js';
import { mutateHeaderBytes } from '../../fuzz/havoc.js';
import { createRandom } from '../../fuzz/prng.js';
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
    const next = createRandom(20261122);
    const outcomes = new Map<string, number>();
    // Act
    for (let round = 0; round < 400; round += 1) {
      const base = bases[round % bases.length] as Buffer;
      const mutated = mutateHeaderBytes(base, next);
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
