/** `workers-drop inspect`: exit codes, the one-object JSON contract, human output and progress. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAssetHash } from '../../../lib/assets/hash.js';
import { DEFAULT_INSPECT_TENANT, INSPECT_USAGE, runInspect } from '../../../lib/cli/inspect.js';
import { buildZip } from '../../helpers/zip-writer.js';

let dir: string;
const GOOD = 'good.zip';
const BAD = 'bad.zip';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'workers-drop-inspect-'));
  await writeFile(
    join(dir, GOOD),
    buildZip([
      {
        name: 'wrangler.json',
        data: '{ "main": "worker.js", "compatibility_date": "2025-01-15", "vars": { "A": "b" }, "assets": { "directory": "public" } }',
      },
      { name: 'worker.js', data: 'export default {}' },
      { name: 'public/index.html', data: '<h1>hello</h1>' },
      { name: 'public/_redirects', data: '/a /b 301\n' },
    ]),
  );
  await writeFile(
    join(dir, BAD),
    buildZip([
      { name: 'worker.js', data: 'x' },
      { name: '../evil.sh', data: 'rm -rf /' },
    ]),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command with captured streams. */
async function inspect(args: string[], isTTY = false, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runInspect(args, {
    cwd: dir,
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY },
  });
  return { code, stdout, stderr };
}

describe('inspect --json', () => {
  it('prints exactly one JSON object and exits 0 for an accepted artifact', async () => {
    const { code, stdout } = await inspect([GOOD, '--json']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(['ok', 'entries', 'assets', 'modules', 'config']);
    expect(result.ok).toBe(true);
    expect(result.entries.map((entry: { path: string }) => entry.path)).toEqual([
      '/public/_redirects',
      '/public/index.html',
      '/worker.js',
      '/wrangler.json',
    ]);
    expect(result.assets).toEqual([
      {
        path: '/index.html',
        size: 14,
        hash: computeAssetHash(
          DEFAULT_INSPECT_TENANT,
          'html',
          createHash('sha256').update('<h1>hello</h1>').digest(),
        ),
        contentType: 'text/html; charset=utf-8',
      },
    ]);
    expect(result.modules).toEqual([
      { name: 'worker.js', contentType: 'application/javascript+module', size: 17 },
    ]);
    expect(result.config).toMatchObject({
      mainModule: 'worker.js',
      vars: { A: 'b' },
      assets: { _redirects: '/a /b 301\n' },
    });
  });

  it('salts hashes with --tenant', async () => {
    const acme = JSON.parse((await inspect([GOOD, '--json', '--tenant', 'acme'])).stdout);
    const fallback = JSON.parse((await inspect([GOOD, '--json'])).stdout);
    expect(acme.assets[0].hash).not.toBe(fallback.assets[0].hash);
    expect(acme.entries).toEqual(fallback.entries);
  });

  it('prints the categorised error and exits 1 for a rejected artifact', async () => {
    const { code, stdout } = await inspect(['--json', BAD]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      ok: false,
      error: {
        category: 'user-input',
        code: 'artifact.path-traversal',
        message: 'The entry "../evil.sh" has a ".." segment.',
        entry: '../evil.sh',
      },
    });
  });

  it('rejects a file that is not a zip with exit 1', async () => {
    await writeFile(join(dir, 'notes.txt'), 'not a zip');
    const { code, stdout } = await inspect(['notes.txt', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('artifact.not-a-zip');
  });
});

describe('inspect arguments', () => {
  it.each([
    ['no zip', []],
    ['two zips', [GOOD, BAD]],
    ['an unknown option', [GOOD, '--verbose']],
    ['a --tenant without value', [GOOD, '--tenant']],
    ['an invalid tenant', [GOOD, '--tenant', 'Not_Valid']],
    ['a missing file', ['missing.zip', '--json']],
  ])('exits 2 with the usage line on %s', async (_label, args) => {
    const { code, stdout, stderr } = await inspect(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(INSPECT_USAGE);
  });
});

describe('inspect human output', () => {
  it('summarises an accepted artifact with module and asset tables', async () => {
    const { code, stdout } = await inspect([GOOD, '--tenant', 'acme']);
    expect(code).toBe(0);
    expect(stdout).toContain(`${GOOD}: accepted`);
    expect(stdout).toMatch(/main module\s+worker\.js/);
    expect(stdout).toMatch(/assets\s+1 \(14 B, 1 unique hashes for tenant "acme"\)/);
    expect(stdout).toMatch(/MODULE\s+TYPE\s+SIZE/);
    expect(stdout).toMatch(/\/index\.html\s+text\/html; charset=utf-8\s+14 B\s+[0-9a-f]{32}/);
  });

  it('explains a rejection with its code and entry', async () => {
    const { code, stdout } = await inspect([BAD]);
    expect(code).toBe(1);
    expect(stdout).toContain('rejected (user-input)');
    expect(stdout).toContain('artifact.path-traversal');
    expect(stdout).toContain('entry: "../evil.sh"');
  });

  it('shows progress on a terminal for a big archive, and nothing when not a terminal', async () => {
    const big = join(dir, 'big.zip');
    const noise = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 2654435761) >>> 24));
    await writeFile(
      big,
      buildZip([
        { name: 'worker.js', data: 'x' },
        ...Array.from({ length: 33 }, (_, i) => ({ name: `public/${i}.bin`, data: noise, method: 0 })),
      ]),
    );
    const onTerminal = await inspect([big], true);
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stderr).toContain('reading 100% (34/34 files)');
    const piped = await inspect([big], false);
    expect(piped.stderr).toBe('');
  });
});

describe('the workers-drop bin', () => {
  it('runs inspect end to end', () => {
    const result = spawnSync(
      process.execPath,
      ['bin/workers-drop.js', 'inspect', join(dir, GOOD), '--json'],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).ok).toBe(true);
  });
});

describe("inspect applies the deployment's limits and policy from the functions' variables", () => {
  it.each([
    [{ MAX_FILES: '3' }, 'artifact.too-many-files'],
    [{ MAX_TOTAL_BYTES: '40' }, 'artifact.too-large-total'],
    [{ DENIED_COMPATIBILITY_FLAGS: 'nodejs_compat' }, 'artifact.flag-not-allowed'],
  ])('%o rejects what the defaults accept, with the code ingest would give', async (env, code) => {
    await writeFile(
      join(dir, 'policy.zip'),
      buildZip([
        {
          name: 'wrangler.json',
          data: '{ "main": "worker.js", "compatibility_date": "2025-01-15", "compatibility_flags": ["nodejs_compat"] }',
        },
        { name: 'worker.js', data: 'export default {}' },
        { name: 'public/index.html', data: '<h1>hello</h1>' },
        { name: 'public/about.html', data: '<h1>about</h1>' },
      ]),
    );
    expect((await inspect(['policy.zip', '--json'])).code).toBe(0);

    const rejected = await inspect(['policy.zip', '--json'], false, env);

    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.stdout).error.code).toBe(code);
  });

  it('ALLOW_JSON_VARS=true accepts non-string vars the default policy rejects', async () => {
    await writeFile(
      join(dir, 'json-vars.zip'),
      buildZip([
        { name: 'wrangler.json', data: '{ "main": "worker.js", "vars": { "LIMITS": { "rps": 10 } } }' },
        { name: 'worker.js', data: 'export default {}' },
      ]),
    );
    expect((await inspect(['json-vars.zip', '--json'])).code).toBe(1);
    expect((await inspect(['json-vars.zip', '--json'], false, { ALLOW_JSON_VARS: 'true' })).code).toBe(0);
  });

  it('a malformed variable is a usage error naming it', async () => {
    const { code, stdout, stderr } = await inspect([GOOD, '--json'], false, { MAX_FILES: 'lots' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/MAX_FILES must be an integer/);
  });
});
