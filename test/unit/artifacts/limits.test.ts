/** Archives exactly at each limit are accepted; one unit over is rejected with the limit's code. */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  MAX_ASSETSIGNORE_BYTES,
  MAX_ASSETSIGNORE_RULES,
  MAX_FILE_BYTES,
  resolveLimits,
} from '../../../lib/artifacts/limits.js';
import { readArtifact } from '../../../lib/artifacts/read-artifact.js';
import { openBufferSource } from '../../../lib/artifacts/sources/buffer-source.js';
import { ConfigError } from '../../../lib/errors.js';
import { readZip, rejectionOf } from '../../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer.js';

const WORKER: ZipEntrySpec = { name: 'worker.js', data: 'export default {}' };
const filesOf = (count: number): ZipEntrySpec[] =>
  Array.from({ length: count }, (_, i) => ({ name: `public/${i}.txt`, data: `${i}`, method: 0 }));
/** Pseudo-random bytes (incompressible enough to store), deterministic. */
const noise = (length: number) => {
  const bytes = Buffer.alloc(length);
  let state = 12345;
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
};

describe('file count', () => {
  it('accepts exactly 20,000 files by default and rejects 20,001', async () => {
    const atLimit = buildZip([WORKER, ...filesOf(DEFAULT_LIMITS.maxFiles - 1)]);
    const artifact = await readZip(atLimit);
    expect(artifact.entries).toHaveLength(20_000);
    const over = buildZip([WORKER, ...filesOf(DEFAULT_LIMITS.maxFiles)]);
    await expect(rejectionOf(readZip(over))).resolves.toMatchObject({ code: 'artifact.too-many-files' });
  });

  it('applies a configured limit and does not count directories or junk', async () => {
    const zip = buildZip([
      WORKER,
      { name: 'public/' },
      { name: 'public/.DS_Store', data: 'x' },
      ...filesOf(4),
    ]);
    await expect(readZip(zip, { limits: { maxFiles: 5 } })).resolves.toMatchObject({
      entries: { length: 5 },
    });
    const rejection = await rejectionOf(readZip(zip, { limits: { maxFiles: 4 } }));
    expect(rejection).toMatchObject({ code: 'artifact.too-many-files', entry: '/public/3.txt' });
  });

  it('refuses an archive declaring far more records than allowed before reading its directory', async () => {
    // maxFiles 1 allows 2 * 1 + 10,000 records (directories and junk need room too).
    const directories = Array.from({ length: 10_003 }, (_, i) => ({ name: `d${i}/` }));
    const zip = buildZip([WORKER, ...directories]);
    const source = openBufferSource(zip);
    const rejection = await rejectionOf(readArtifact(source, { tenant: 'acme', limits: { maxFiles: 1 } }));
    expect(rejection.code).toBe('artifact.too-many-files');
    expect(source.bytesRead).toBeLessThan(70_000);
    expect(zip.length).toBeGreaterThan(500_000);
  });

  it('allows configuring up to 100,000 files and no more', () => {
    expect(resolveLimits({ maxFiles: 100_000 }).maxFiles).toBe(100_000);
    expect(() => resolveLimits({ maxFiles: 100_001 })).toThrow(ConfigError);
  });
});

describe('sizes', () => {
  it('accepts a file of exactly 25 MiB and rejects 25 MiB + 1', async () => {
    const data = noise(MAX_FILE_BYTES);
    const artifact = await readZip(buildZip([WORKER, { name: 'public/big.bin', data, method: 0 }]));
    expect(artifact.assets[0]?.size).toBe(MAX_FILE_BYTES);
    const over = buildZip([
      WORKER,
      { name: 'public/big.bin', data: Buffer.concat([data, Buffer.from('x')]), method: 0 },
    ]);
    await expect(rejectionOf(readZip(over))).resolves.toMatchObject({
      code: 'artifact.file-too-large',
      entry: '/public/big.bin',
    });
  });

  it('accepts a total of exactly the limit and rejects one byte more', async () => {
    const zip = buildZip([
      { name: 'worker.js', data: 'x'.repeat(400) },
      { name: 'public/a.txt', data: 'y'.repeat(600) },
    ]);
    await expect(readZip(zip, { limits: { maxTotalBytes: 1000 } })).resolves.toBeDefined();
    const rejection = await rejectionOf(readZip(zip, { limits: { maxTotalBytes: 999 } }));
    expect(rejection).toMatchObject({ code: 'artifact.too-large-total' });
  });

  it('accepts a compression ratio of exactly the limit and rejects one above', async () => {
    // A length whose deflated size divides it, so the ratio is an exact integer.
    let data = Buffer.alloc(0);
    let ratio = 0;
    for (let length = 10_000; ratio === 0; length += 1) {
      const candidate = Buffer.alloc(length, 'ab');
      const compressed = deflateRawSync(candidate).length;
      if (length % compressed === 0) {
        data = candidate;
        ratio = length / compressed;
      }
    }
    const zip = buildZip([WORKER, { name: 'public/a.txt', data }]);
    const limits = { ratioMinBytes: 1000, maxCompressionRatio: ratio };
    await expect(readZip(zip, { limits })).resolves.toBeDefined();
    const rejection = await rejectionOf(
      readZip(zip, { limits: { ...limits, maxCompressionRatio: ratio - 1 } }),
    );
    expect(rejection).toMatchObject({ code: 'artifact.bomb-ratio', entry: '/public/a.txt' });
  });
});

describe('names', () => {
  const pathOf = (bytes: number) => `public/${'d/'.repeat((bytes - 14) / 2)}abc.txt`;

  it('accepts a path of exactly 1024 bytes and rejects 1025', async () => {
    expect(Buffer.byteLength(pathOf(1024))).toBe(1024);
    await expect(readZip(buildZip([WORKER, { name: pathOf(1024), data: 'x' }]))).resolves.toBeDefined();
    const over = buildZip([WORKER, { name: `${pathOf(1024)}x`, data: 'x' }]);
    await expect(rejectionOf(readZip(over))).resolves.toMatchObject({ code: 'artifact.name-too-long' });
  });

  it('accepts a segment of exactly 255 bytes (multi-byte characters count as bytes) and rejects 256', async () => {
    const segment = `${'\u00e9'.repeat(125)}.txt1`;
    expect(Buffer.byteLength(segment)).toBe(255);
    await expect(
      readZip(buildZip([WORKER, { name: `public/${segment}`, data: 'x' }])),
    ).resolves.toBeDefined();
    const over = buildZip([WORKER, { name: `public/${segment}2`, data: 'x' }]);
    await expect(rejectionOf(readZip(over))).resolves.toMatchObject({ code: 'artifact.name-too-long' });
  });
});

describe('config', () => {
  const withConfig = (config: unknown, extra: ZipEntrySpec[] = []) =>
    buildZip([{ name: 'wrangler.json', data: JSON.stringify(config) }, WORKER, ...extra]);
  const vars = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`V${i}`, 'x']));

  it('accepts exactly 64 vars and rejects 65', async () => {
    await expect(readZip(withConfig({ main: 'worker.js', vars: vars(64) }))).resolves.toBeDefined();
    const rejection = await rejectionOf(readZip(withConfig({ main: 'worker.js', vars: vars(65) })));
    expect(rejection).toMatchObject({ code: 'artifact.vars-too-large', entry: '/wrangler.json' });
  });

  it('accepts vars of exactly 64 KiB (names + values) and rejects one byte more', async () => {
    const exact = { main: 'worker.js', vars: { BIG: 'x'.repeat(64 * 1024 - 3) } };
    await expect(readZip(withConfig(exact))).resolves.toBeDefined();
    const over = { main: 'worker.js', vars: { BIG: 'x'.repeat(64 * 1024 - 2) } };
    await expect(rejectionOf(readZip(withConfig(over)))).resolves.toMatchObject({
      code: 'artifact.vars-too-large',
    });
  });

  it('accepts a config of exactly 1 MiB and rejects one byte more', async () => {
    const base = JSON.stringify({ main: 'worker.js' });
    const exact = base + ' '.repeat(1024 * 1024 - base.length);
    // Stored: a config padded with spaces would (rightly) trip the compression-ratio bound.
    const zipOf = (text: string) => buildZip([{ name: 'wrangler.json', data: text, method: 0 }, WORKER]);
    await expect(readZip(zipOf(exact))).resolves.toMatchObject({ config: { mainModule: 'worker.js' } });
    const rejection = await rejectionOf(readZip(zipOf(`${exact} `)));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/wrangler.json' });
  });

  it('accepts a _headers file of exactly 512 KiB and rejects one byte more', async () => {
    const exact = `/*\n  X-A: ${'b'.repeat(512 * 1024 - 11)}\n`;
    expect(Buffer.byteLength(exact)).toBe(512 * 1024);
    const zipOf = (text: string) =>
      buildZip([
        WORKER,
        { name: 'public/_headers', data: text, method: 0 },
        { name: 'public/a.txt', data: 'a' },
      ]);
    const artifact = await readZip(zipOf(exact));
    expect(artifact.config.assets._headers).toBe(exact);
    const rejection = await rejectionOf(readZip(zipOf(`${exact} `)));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/public/_headers' });
  });
});

describe('.assetsignore', () => {
  const zipOf = (text: string) =>
    buildZip([
      WORKER,
      { name: 'public/.assetsignore', data: text, method: 0 },
      { name: 'public/a.txt', data: 'a' },
      { name: 'public/b.map', data: 'b' },
    ]);
  const assetsOf = async (text: string) => (await readZip(zipOf(text))).assets.map((asset) => asset.path);

  it('accepts exactly 64 KiB and rejects one byte more', async () => {
    // Prepare
    const exact = `*.map\n#${'c'.repeat(MAX_ASSETSIGNORE_BYTES - 8)}\n`;
    expect(Buffer.byteLength(exact)).toBe(MAX_ASSETSIGNORE_BYTES);
    // Act / Assess
    await expect(assetsOf(exact)).resolves.toEqual(['/a.txt']);
    const rejection = await rejectionOf(readZip(zipOf(`${exact} `)));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/public/.assetsignore' });
  });

  it('accepts exactly 1,000 rules (comments and blank lines do not count) and rejects 1,001', async () => {
    // Prepare
    const rules = (count: number) =>
      ['# generated', '', ...Array.from({ length: count - 1 }, (_, i) => `/gone-${i}.txt`), '*.map'].join(
        '\n',
      );
    // Act / Assess
    await expect(assetsOf(rules(MAX_ASSETSIGNORE_RULES))).resolves.toEqual(['/a.txt']);
    const rejection = await rejectionOf(readZip(zipOf(rules(MAX_ASSETSIGNORE_RULES + 1))));
    expect(rejection).toEqual({
      code: 'artifact.assetsignore-too-complex',
      entry: '/public/.assetsignore',
      message: '/public/.assetsignore has more than 1,000 rules.',
    });
  });

  it('accepts a rule of exactly 1,024 bytes (multi-byte characters count as bytes) and rejects 1,025', async () => {
    // Prepare: `é` is two bytes.
    const rule = (bytes: number) => `*.map\n/${'é'.repeat((bytes - 1) >> 1)}${bytes % 2 === 0 ? 'x' : ''}`;
    expect(Buffer.byteLength(rule(1024).split('\n')[1] ?? '')).toBe(1024);
    // Act / Assess
    await expect(assetsOf(rule(1024))).resolves.toEqual(['/a.txt']);
    const rejection = await rejectionOf(readZip(zipOf(rule(1025))));
    expect(rejection).toEqual({
      code: 'artifact.assetsignore-too-complex',
      entry: '/public/.assetsignore',
      message: '/public/.assetsignore line 2 is 1,025 bytes long; a rule may have at most 1,024.',
    });
  });
});
