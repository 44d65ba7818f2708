/** The artifact format: config and conventional defaults, wrapper folders, names, modules and assets. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { assetExtension, computeAssetHash } from '../../../lib/assets/hash.js';
import { readZip, rejectionOf, TEST_TENANT } from '../../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer.js';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const paths = (items: Array<{ path: string }>) => items.map((item) => item.path);
const names = (items: Array<{ name: string }>) => items.map((item) => item.name);

describe('conventional defaults (no config file)', () => {
  it.each([
    [['worker.mjs', 'worker.js', 'index.mjs', 'index.js'], 'worker.mjs'],
    [['worker.js', 'index.mjs', 'index.js'], 'worker.js'],
    [['index.mjs', 'index.js'], 'index.mjs'],
    [['index.js'], 'index.js'],
  ])('picks the first of %j as main: %s', async (present, main) => {
    const zip = buildZip(present.map((name) => ({ name, data: `export default {}; // ${name}` })));
    const artifact = await readZip(zip);
    expect(artifact.config.mainModule).toBe(main);
    expect(artifact.modules[0]?.name).toBe(main);
  });

  it('serves public/ as the assets directory next to a root worker', async () => {
    const zip = buildZip([
      { name: 'worker.js', data: 'export default {}' },
      { name: 'public/index.html', data: '<h1>hi</h1>' },
      { name: 'public/css/site.css', data: 'body{}' },
    ]);
    const artifact = await readZip(zip);
    expect(paths(artifact.assets)).toEqual(['/css/site.css', '/index.html']);
    expect(names(artifact.modules)).toEqual(['worker.js']);
    expect(artifact.config).toMatchObject({
      mainModule: 'worker.js',
      hasAssets: true,
      compatibilityFlags: [],
      vars: {},
    });
  });

  it('accepts an assets-only artifact', async () => {
    const artifact = await readZip(buildZip([{ name: 'public/index.html', data: 'hi' }]));
    expect(artifact.config.mainModule).toBeUndefined();
    expect(artifact.modules).toEqual([]);
    expect(paths(artifact.assets)).toEqual(['/index.html']);
  });

  it('does not take a client-side public/index.js for a Worker when the zip holds only public/', async () => {
    const artifact = await readZip(
      buildZip([
        { name: 'public/index.js', data: 'console.log(1)' },
        { name: 'public/index.html', data: 'hi' },
      ]),
    );
    expect(artifact.config.mainModule).toBeUndefined();
    expect(paths(artifact.assets)).toEqual(['/index.html', '/index.js']);
    expect(artifact.assets.find((asset) => asset.path === '/index.js')?.contentType).toBe(
      'application/javascript',
    );
  });
});

describe('wrapper folders', () => {
  it.each([
    [
      'a config',
      [
        { name: 'build/wrangler.json', data: '{"main":"worker.js"}' },
        { name: 'build/worker.js', data: 'x' },
      ],
    ],
    [
      'a conventional main',
      [
        { name: 'build/worker.js', data: 'x' },
        { name: 'build/public/a.txt', data: 'a' },
      ],
    ],
    ['only public/', [{ name: 'build/public/a.txt', data: 'a' }]],
  ])('strips one wrapper folder that holds %s', async (_label, entries) => {
    const artifact = await readZip(buildZip([{ name: 'build/' }, ...(entries as ZipEntrySpec[])]));
    expect(artifact.entries.every((entry) => !entry.path.startsWith('/build/'))).toBe(true);
  });

  it('keeps two top-level folders as they are', async () => {
    const zip = buildZip([
      { name: 'wrangler.json', data: '{"main":"src/index.js","assets":{"directory":"static"}}' },
      { name: 'src/index.js', data: 'x' },
      { name: 'static/a.txt', data: 'a' },
    ]);
    const artifact = await readZip(zip);
    expect(paths(artifact.entries)).toEqual(['/src/index.js', '/static/a.txt', '/wrangler.json']);
    expect(paths(artifact.assets)).toEqual(['/a.txt']);
  });

  it('strips only one level', async () => {
    const zip = buildZip([
      { name: 'a/b/worker.js', data: 'x' },
      { name: 'a/b/public/x.txt', data: 'x' },
    ]);
    await expect(rejectionOf(readZip(zip))).resolves.toMatchObject({ code: 'artifact.empty' });
  });
});

describe('entry names', () => {
  it('treats backslashes as separators and drops a leading ./', async () => {
    const zip = buildZip([
      { name: '.\\worker.js', data: 'x' },
      { name: 'public\\css\\a.css', data: 'a{}' },
      { name: './public/./b.txt', data: 'b' },
    ]);
    const artifact = await readZip(zip);
    expect(paths(artifact.entries)).toEqual(['/public/b.txt', '/public/css/a.css', '/worker.js']);
  });

  it('ignores __MACOSX/, .DS_Store and directory entries', async () => {
    const zip = buildZip([
      { name: 'worker.js', data: 'x' },
      { name: 'public/' },
      { name: 'public/a.txt', data: 'a' },
      { name: 'public/.DS_Store', data: 'junk' },
      { name: '.DS_Store', data: 'junk' },
      { name: '__MACOSX/public/._a.txt', data: 'junk' },
    ]);
    const artifact = await readZip(zip);
    expect(paths(artifact.entries)).toEqual(['/public/a.txt', '/worker.js']);
  });

  it.each([
    ['UTF-8 flag', { name: 'public/caf\u00e9.txt', utf8: true }, '/caf\u00e9.txt'],
    [
      'valid UTF-8 without the flag',
      { name: Buffer.from('public/caf\u00e9.txt'), utf8: false },
      '/caf\u00e9.txt',
    ],
    [
      'CP437 (not valid UTF-8)',
      { name: Buffer.from([...Buffer.from('public/caf'), 0x82, ...Buffer.from('.txt')]), utf8: false },
      '/caf\u00e9.txt',
    ],
    [
      'CP437 box drawing',
      { name: Buffer.from([...Buffer.from('public/'), 0xc9, 0xcd, 0xbb]), utf8: false },
      '/\u2554\u2550\u2557',
    ],
    ['NFD normalised to NFC', { name: 'public/cafe\u0301.txt' }, '/caf\u00e9.txt'],
  ])('decodes names: %s', async (_label, spec, expected) => {
    const artifact = await readZip(buildZip([{ ...spec, data: 'x' } as ZipEntrySpec]));
    expect(paths(artifact.assets)).toEqual([expected]);
  });

  it('uses an Info-ZIP Unicode Path extra field whose CRC matches the stored name', async () => {
    const raw = Buffer.from('public/cafe.txt');
    const unicode = Buffer.from('public/caf\u00e9.txt');
    const { crc32 } = await import('node:zlib');
    const field = Buffer.alloc(9 + unicode.length);
    field.writeUInt16LE(0x7075, 0);
    field.writeUInt16LE(5 + unicode.length, 2);
    field[4] = 1;
    field.writeUInt32LE(crc32(raw) >>> 0, 5);
    unicode.copy(field, 9);
    const stale = Buffer.from(field);
    stale.writeUInt32LE(1, 5);
    const artifact = await readZip(
      buildZip([
        { name: raw, utf8: false, data: 'x', centralExtra: field },
        { name: 'public/other.txt', data: 'y', centralExtra: stale },
      ]),
    );
    expect(paths(artifact.assets)).toEqual(['/caf\u00e9.txt', '/other.txt']);
  });
});

describe('extra fields', () => {
  it('tolerates a padded or truncated extra area (what cannot be a block is skipped)', async () => {
    const padding = Buffer.from([0xca, 0xfe, 0x09, 0x00, 0x01]);
    const artifact = await readZip(
      buildZip([{ name: 'worker.js', data: 'x', centralExtra: padding, localExtra: padding }]),
    );
    expect(artifact.config.mainModule).toBe('worker.js');
  });

  it('still refuses a saturated size without its zip64 field', async () => {
    const zip = buildZip([{ name: 'worker.js', data: 'x', zip64: true, centralExtra: Buffer.alloc(0) }]);
    const stripped = Buffer.from(zip);
    // Rename the central zip64 field (id 0x0001) so it no longer counts.
    const central = stripped.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    stripped.writeUInt16LE(0x9999, central + 46 + 'worker.js'.length);
    await expect(rejectionOf(readZip(stripped))).resolves.toMatchObject({ code: 'artifact.corrupt' });
  });
});

describe('the config file', () => {
  it('reads main, compatibility, vars and the assets section', async () => {
    const zip = buildZip([
      {
        name: 'wrangler.jsonc',
        data: `// comments and trailing commas are fine
        { "main": "./dist/worker.mjs", "compatibility_date": "2025-01-15", "compatibility_flags": ["nodejs_compat"],
          "vars": { "GREETING": "hi" },
          "assets": { "directory": "./static/", "binding": "STATIC", "html_handling": "drop-trailing-slash",
                      "not_found_handling": "single-page-application", "run_worker_first": ["/api/*", "!/api/docs"] },
          "name": "ignored", "routes": ["ignored"], "env": { "staging": { "kv_namespaces": [{ "binding": "X" }] } }, }`,
      },
      { name: 'dist/worker.mjs', data: 'export default {}' },
      { name: 'static/index.html', data: 'hi' },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.config).toEqual({
      mainModule: 'worker.mjs',
      compatibilityDate: '2025-01-15',
      compatibilityFlags: ['nodejs_compat'],
      vars: { GREETING: 'hi' },
      assets: {
        html_handling: 'drop-trailing-slash',
        not_found_handling: 'single-page-application',
        run_worker_first: ['/api/*', '!/api/docs'],
      },
      hasAssets: true,
      assetsBinding: 'STATIC',
    });
  });

  it('does not apply the conventional defaults when a config exists', async () => {
    const zip = buildZip([
      { name: 'wrangler.json', data: '{ "assets": { "directory": "site" } }' },
      { name: 'worker.js', data: 'x' },
      { name: 'site/a.txt', data: 'a' },
      { name: 'public/b.txt', data: 'b' },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.config.mainModule).toBeUndefined();
    expect(paths(artifact.assets)).toEqual(['/a.txt']);
  });

  it('names the missing main module in the rejection', async () => {
    const zip = buildZip([
      { name: 'wrangler.json', data: '{ "main": "src/worker.js" }' },
      { name: 'worker.js', data: 'x' },
    ]);
    const rejection = await rejectionOf(readZip(zip));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/wrangler.json' });
    expect(rejection.message).toContain('"src/worker.js"');
  });
});

describe('modules', () => {
  it('takes module files from the main directory tree, named relative to it, main first', async () => {
    const zip = buildZip([
      {
        name: 'wrangler.json',
        data: '{ "main": "dist/index.js", "assets": { "directory": "dist/public" } }',
      },
      { name: 'dist/index.js', data: 'import "./chunks/a.js"' },
      { name: 'dist/chunks/a.js', data: 'export {}' },
      { name: 'dist/legacy.cjs', data: 'module.exports = 1' },
      { name: 'dist/query.sql', data: 'select 1' },
      { name: 'dist/page.html', data: '<p>text module</p>' },
      { name: 'dist/package.json', data: '{}' },
      { name: 'dist/public/app.js', data: 'client code' },
      { name: 'src/index.ts', data: 'not shipped' },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.modules.map(({ name, contentType }) => [name, contentType])).toEqual([
      ['index.js', 'application/javascript+module'],
      ['chunks/a.js', 'application/javascript+module'],
      ['legacy.cjs', 'application/javascript'],
      ['page.html', 'text/plain'],
      ['query.sql', 'text/plain'],
    ]);
    expect(paths(artifact.assets)).toEqual(['/app.js']);
    expect(paths(artifact.entries)).toContain('/dist/package.json');
  });
});

describe('assets', () => {
  it('honours .assetsignore and keeps _headers, _redirects and itself out of the manifest', async () => {
    const zip = buildZip([
      { name: 'public/.assetsignore', data: '*.map\nprivate/\n!private/keep.txt\r\n' },
      { name: 'public/_headers', data: '/*\n  X-Frame-Options: DENY\n' },
      { name: 'public/_redirects', data: '/old /new 301\n' },
      { name: 'public/app.js', data: 'x' },
      { name: 'public/app.js.map', data: '{}' },
      { name: 'public/private/secret.txt', data: 's' },
      { name: 'public/docs/_headers', data: 'nested: an asset' },
      { name: 'public/_worker.js', data: 'published on purpose: .assetsignore exists' },
    ]);
    const artifact = await readZip(zip);
    expect(paths(artifact.assets)).toEqual(['/_worker.js', '/app.js', '/docs/_headers']);
    expect(artifact.config.assets).toEqual({
      _headers: '/*\n  X-Frame-Options: DENY\n',
      _redirects: '/old /new 301\n',
    });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'reads x.%s as an untyped asset and a plain file, not a module (fuzz: content-type-prototype-keys)',
    async (extension) => {
      // Prepare
      const zip = buildZip([
        { name: 'worker.js', data: 'export default {}' },
        { name: `x.${extension}`, data: 'beside the worker' },
        { name: `public/x.${extension}`, data: 'an asset' },
      ]);
      // Act
      const artifact = await readZip(zip);
      // Assess
      expect(artifact.assets.map(({ path, contentType }) => ({ path, contentType }))).toEqual([
        { path: `/x.${extension}`, contentType: null },
      ]);
      expect(names(artifact.modules)).toEqual(['worker.js']);
      expect(paths(artifact.entries)).toContain(`/x.${extension}`);
    },
  );

  it('hashes with the tenant, the extension and the content sha256', async () => {
    const zip = buildZip([
      { name: 'public/a.txt', data: 'same bytes' },
      { name: 'public/b.TXT', data: 'same bytes' },
      { name: 'public/c.html', data: 'same bytes' },
    ]);
    const [a, b, c] = (await readZip(zip)).assets;
    const expected = computeAssetHash(TEST_TENANT, 'txt', sha256('same bytes'));
    expect(a?.hash).toBe(expected);
    expect(b?.hash).toBe(expected);
    expect(c?.hash).not.toBe(expected);
    const other = (await readZip(zip, { tenant: 'globex' })).assets[0];
    expect(other?.hash).not.toBe(expected);
    expect(assetExtension('/b.TXT')).toBe('txt');
  });

  it('lists every kept file with its size and sha256', async () => {
    const zip = buildZip([
      { name: 'worker.js', data: 'export default {}' },
      { name: 'public/big.bin', data: Buffer.alloc(300_000, 'abc'), method: 8 },
      { name: 'public/stored.bin', data: Buffer.alloc(70_000, 'z'), method: 0 },
      { name: 'public/empty.txt', data: '' },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.entries).toEqual([
      {
        path: '/public/big.bin',
        size: 300_000,
        sha256: sha256(Buffer.alloc(300_000, 'abc')).toString('hex'),
      },
      { path: '/public/empty.txt', size: 0, sha256: sha256('').toString('hex') },
      { path: '/public/stored.bin', size: 70_000, sha256: sha256(Buffer.alloc(70_000, 'z')).toString('hex') },
      { path: '/worker.js', size: 17, sha256: sha256('export default {}').toString('hex') },
    ]);
    expect(artifact.stats).toMatchObject({
      archiveSize: zip.length,
      entryCount: 4,
      totalUncompressed: 370_017,
    });
  });
});
