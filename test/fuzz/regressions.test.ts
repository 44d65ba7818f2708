/**
 * Bugs the fuzzer found in the reader, pinned at their edges (their inputs are also replayed from
 * fuzz-corpus/findings by the smoke test).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_CONFIG_DEPTH } from '../../lib/artifacts/worker-config.js';
import { readZip, rejectionOf } from '../helpers/zip-read.js';
import { buildZip } from '../helpers/zip-writer.js';
import { FINDINGS_DIR } from './findings.js';

/** The bytes of the committed finding `<hash>.zip`. */
const finding = (hash: string) => readFileSync(join(FINDINGS_DIR, `${hash}.zip`));

/** An artifact whose wrangler.json nests `depth` levels (the top-level object is the first). */
const nested = (depth: number) =>
  buildZip([
    {
      name: 'wrangler.json',
      data: `{ "main": "worker.js", "x": ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)} }`,
    },
    { name: 'worker.js', data: 'export default {}' },
  ]);

describe('fuzz finding 2f49b42ee7b1a13a: deeply nested wrangler.json', () => {
  it('accepts a config nested exactly to the limit', async () => {
    // Act
    const artifact = await readZip(nested(MAX_CONFIG_DEPTH));
    // Assess
    expect(artifact.config.mainModule).toBe('worker.js');
  });

  it.each([MAX_CONFIG_DEPTH + 1, 20_000])(
    'refuses a config nested %i levels as bad-config (it overflowed the parser stack: a RangeError)',
    async (depth) => {
      // Act
      const rejection = await rejectionOf(readZip(nested(depth)));
      // Assess
      expect(rejection).toEqual({
        code: 'artifact.bad-config',
        entry: '/wrangler.json',
        message: `/wrangler.json: nested more than ${MAX_CONFIG_DEPTH} levels deep.`,
      });
    },
  );

  it('does not count brackets inside strings and comments', async () => {
    // Prepare
    const text = `{ // ${'['.repeat(500)}\n "main": "worker.js", "vars": { "A": "${'{'.repeat(500)}" } /* ]]] */ }`;
    const zip = buildZip([
      { name: 'wrangler.json', data: text },
      { name: 'worker.js', data: 'export default {}' },
    ]);
    // Act
    const artifact = await readZip(zip);
    // Assess
    expect(artifact.config.vars).toEqual({ A: '{'.repeat(500) });
  });
});

describe('fuzz finding 722e722880759670: extensions named like Object.prototype members', () => {
  it('reads public/x.constructor as an untyped asset (it threw an uncategorised TypeError)', async () => {
    // Act
    const artifact = await readZip(finding('722e722880759670'));
    // Assess
    expect(artifact.assets.map(({ path, contentType }) => ({ path, contentType }))).toEqual([
      { path: '/x.constructor', contentType: null },
    ]);
    expect(artifact.modules.map((module) => module.name)).toEqual(['worker.js']);
  });
});

describe('fuzz finding 816470ab13c68f1d: .assetsignore rules that made the ignore package backtrack', () => {
  it('decides a/**/a/**/a/**/a/**/z against a file 130 folders deep at once (it took 1.5 s)', async () => {
    // Prepare
    const started = performance.now();
    // Act
    const artifact = await readZip(finding('816470ab13c68f1d'));
    // Assess: the rule ends in `z`, so the file stays.
    expect(artifact.assets.map((asset) => asset.path)).toEqual([`/${'a/'.repeat(130)}q.txt`]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
