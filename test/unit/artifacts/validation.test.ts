/**
 * Every rejection code of the artifact reader, on archives built by hand so each header can lie. Each row
 * names the expected code and the entry the error must point at.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readZip, rejectionOf } from '../../helpers/zip-read.js';
import {
  buildZip,
  localHeaderOffset,
  patchBytes,
  type ZipEntrySpec,
  type ZipSpec,
} from '../../helpers/zip-writer.js';

const WORKER = { name: 'worker.js', data: 'export default { fetch() { return new Response("ok"); } };' };
const zipOf = (entries: ZipEntrySpec[], spec?: ZipSpec) => buildZip([WORKER, ...entries], spec);
const UNIX_SYMLINK = (0o120777 << 16) >>> 0;
const seededBytes = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 7919 + 13) % 251));

interface Row {
  name: string;
  zip: () => Buffer;
  code: string;
  entry?: string;
}

const notZip: Row[] = [
  { name: 'an empty object', zip: () => Buffer.alloc(0), code: 'artifact.not-a-zip' },
  { name: 'random bytes', zip: () => seededBytes(5000), code: 'artifact.not-a-zip' },
  { name: 'a gzip file', zip: () => gzipSync(Buffer.from('hello '.repeat(100))), code: 'artifact.not-a-zip' },
  { name: 'a text file', zip: () => Buffer.from('PK? no, just text\n'), code: 'artifact.not-a-zip' },
];

const corrupt: Row[] = [
  {
    name: 'a truncated archive (no end record)',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'aaaa' }]).subarray(0, 60),
    code: 'artifact.corrupt',
  },
  {
    name: 'a central directory offset past the end',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'a' }], { cdOffset: 10_000 }),
    code: 'artifact.corrupt',
  },
  {
    name: 'more entries declared than recorded',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'a' }], { entryCount: 3 }),
    code: 'artifact.corrupt',
  },
  { name: 'a split archive', zip: () => zipOf([], { eocdDisk: 1 }), code: 'artifact.corrupt' },
  {
    name: 'a bad CRC on a stored entry',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', method: 0, crc32: 0x1234 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a flipped byte in a stored entry',
    zip: () => {
      const zip = zipOf([{ name: 'public/a.txt', data: 'hello world', method: 0 }]);
      return patchBytes(zip, localHeaderOffset(zip, 'public/a.txt') + 30 + 12, (view) => {
        view[0] = 0x58;
      });
    },
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'damaged deflate data',
    zip: () =>
      zipOf([{ name: 'public/a.txt', data: 'x', compressed: Buffer.from([0xff, 0xff, 0xff, 0xff]) }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a declared size larger than the data',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', size: 50 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a stored entry whose sizes differ',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', method: 0, compressedSize: 4 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'local and central names that differ',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', localName: 'public/b.txt' }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a local header with another method',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', method: 0, localMethod: 8 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a local header with another CRC',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', localCrc32: 7 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a central offset with no local header',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', centralOffset: 3 }]),
    code: 'artifact.corrupt',
  },
  {
    name: 'two records sharing one local header (overlap)',
    zip: () =>
      zipOf([
        { name: 'public/a.txt', data: 'hello' },
        { name: 'public/b.txt', data: 'hello', sameOffsetAs: 1 },
      ]),
    code: 'artifact.corrupt',
  },
  {
    name: 'an entry whose data runs into the central directory',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'hello', method: 0, size: 5000, compressedSize: 5000 }]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'deflate data that ends before the declared compressed size',
    zip: () =>
      zipOf([
        {
          name: 'public/a.txt',
          data: 'hello',
          compressed: Buffer.concat([
            Buffer.from([0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
            Buffer.from('junk'),
          ]),
        },
      ]),
    code: 'artifact.corrupt',
    entry: '/public/a.txt',
  },
  {
    name: 'a directory entry with data',
    zip: () => zipOf([{ name: 'public/dir/', data: 'x', method: 0 }]),
    code: 'artifact.corrupt',
    entry: '/public/dir',
  },
];

const empty: Row[] = [
  { name: 'an archive without entries', zip: () => buildZip([]), code: 'artifact.empty' },
  {
    name: 'only directories',
    zip: () => buildZip([{ name: 'public/' }, { name: 'src/' }]),
    code: 'artifact.empty',
  },
  {
    name: 'only macOS junk',
    zip: () =>
      buildZip([
        { name: '__MACOSX/._worker.js', data: 'x' },
        { name: 'public/.DS_Store', data: 'x' },
      ]),
    code: 'artifact.empty',
  },
  {
    name: 'files but no main module or assets',
    zip: () => buildZip([{ name: 'README.md', data: '# hi' }]),
    code: 'artifact.empty',
  },
  {
    name: 'a config with neither main nor assets',
    zip: () =>
      buildZip([
        { name: 'wrangler.json', data: '{"name":"x"}' },
        { name: 'README.md', data: 'x' },
      ]),
    code: 'artifact.empty',
  },
];

const entryRules: Row[] = [
  {
    name: 'a ZipCrypto entry',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'x', flags: 1 }]),
    code: 'artifact.encrypted',
    entry: '/public/a.txt',
  },
  {
    name: 'an AES entry (method 99)',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'x', method: 99, flags: 1 }]),
    code: 'artifact.encrypted',
    entry: '/public/a.txt',
  },
  {
    name: 'bzip2 (method 12)',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'x', method: 12 }]),
    code: 'artifact.unsupported-method',
    entry: '/public/a.txt',
  },
  {
    name: 'LZMA (method 14)',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'x', method: 14 }]),
    code: 'artifact.unsupported-method',
    entry: '/public/a.txt',
  },
  {
    name: 'deflate64 (method 9)',
    zip: () => zipOf([{ name: 'public/a.txt', data: 'x', method: 9 }]),
    code: 'artifact.unsupported-method',
    entry: '/public/a.txt',
  },
  {
    name: 'a ../ path',
    zip: () => zipOf([{ name: '../evil.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: '../evil.txt',
  },
  {
    name: 'a nested .. path',
    zip: () => zipOf([{ name: 'public/../../evil.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: 'public/../../evil.txt',
  },
  {
    name: 'a backslash .. path',
    zip: () => zipOf([{ name: '..\\evil.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: '..\\evil.txt',
  },
  {
    name: 'an absolute path',
    zip: () => zipOf([{ name: '/etc/passwd', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: '/etc/passwd',
  },
  {
    name: 'a drive letter',
    zip: () => zipOf([{ name: 'C:/evil.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: 'C:/evil.txt',
  },
  {
    name: 'a drive letter with backslashes',
    zip: () => zipOf([{ name: 'c:\\evil.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: 'c:\\evil.txt',
  },
  {
    name: 'a UNC path',
    zip: () => zipOf([{ name: '\\\\server\\share\\x.txt', data: 'x' }]),
    code: 'artifact.path-traversal',
    entry: '\\\\server\\share\\x.txt',
  },
  {
    name: 'a Unix symlink',
    zip: () =>
      zipOf([{ name: 'public/link', data: '/etc/passwd', method: 0, externalAttributes: UNIX_SYMLINK }]),
    code: 'artifact.symlink',
    entry: '/public/link',
  },
  {
    name: 'the same name twice',
    zip: () =>
      zipOf([
        { name: 'public/a.txt', data: '1' },
        { name: 'public/a.txt', data: '2' },
      ]),
    code: 'artifact.duplicate-entry',
    entry: '/public/a.txt',
  },
  {
    name: 'a name with / and one with \\',
    zip: () =>
      zipOf([
        { name: 'public/a.txt', data: '1' },
        { name: 'public\\a.txt', data: '2' },
      ]),
    code: 'artifact.duplicate-entry',
    entry: '/public/a.txt',
  },
  {
    name: 'a ./ twin',
    zip: () =>
      zipOf([
        { name: 'public/a.txt', data: '1' },
        { name: './public/a.txt', data: '2' },
      ]),
    code: 'artifact.duplicate-entry',
    entry: '/public/a.txt',
  },
  {
    name: 'NFC and NFD twins',
    zip: () =>
      zipOf([
        { name: 'public/caf\u00e9.txt', data: '1' },
        { name: 'public/cafe\u0301.txt', data: '2' },
      ]),
    code: 'artifact.duplicate-entry',
    entry: '/public/caf\u00e9.txt',
  },
  {
    name: 'a file that is also a directory',
    zip: () =>
      zipOf([
        { name: 'public/x', data: '1' },
        { name: 'public/x/y.txt', data: '2' },
      ]),
    code: 'artifact.duplicate-entry',
    entry: '/public/x',
  },
  {
    name: 'a NUL in a name',
    zip: () => zipOf([{ name: 'public/a\u0000.txt', data: 'x' }]),
    code: 'artifact.bad-name',
    entry: 'public/a\u0000.txt',
  },
  {
    name: 'a control character',
    zip: () => zipOf([{ name: 'public/a\u0001.txt', data: 'x' }]),
    code: 'artifact.bad-name',
    entry: 'public/a\u0001.txt',
  },
  {
    name: 'DEL',
    zip: () => zipOf([{ name: 'public/a\u007f.txt', data: 'x' }]),
    code: 'artifact.bad-name',
    entry: 'public/a\u007f.txt',
  },
  {
    name: 'a right-to-left override',
    zip: () => zipOf([{ name: 'public/gnp.\u202eexe', data: 'x' }]),
    code: 'artifact.bad-name',
    entry: 'public/gnp.\u202eexe',
  },
  {
    name: 'invalid UTF-8 under the UTF-8 flag',
    zip: () => zipOf([{ name: Buffer.from([0x70, 0xff, 0xfe, 0x2e, 0x74]), data: 'x', utf8: true }]),
    code: 'artifact.bad-name',
  },
  { name: 'an empty name', zip: () => zipOf([{ name: '', data: 'x' }]), code: 'artifact.bad-name' },
  {
    name: 'a name that is only "."',
    zip: () => zipOf([{ name: '.', data: 'x' }]),
    code: 'artifact.bad-name',
    entry: '.',
  },
  {
    name: 'a path over 1024 bytes',
    zip: () => zipOf([{ name: `public/${'d/'.repeat(510)}x.txt`, data: 'x' }]),
    code: 'artifact.name-too-long',
  },
  {
    name: 'a segment over 255 bytes',
    zip: () => zipOf([{ name: `public/${'n'.repeat(256)}.txt`, data: 'x' }]),
    code: 'artifact.name-too-long',
  },
];

const sizes: Row[] = [
  {
    name: 'a file declared over 25 MiB',
    zip: () => zipOf([{ name: 'public/big.bin', data: 'x', size: 25 * 1024 * 1024 + 1 }]),
    code: 'artifact.file-too-large',
    entry: '/public/big.bin',
  },
  {
    name: 'a 1000:1 declared ratio',
    zip: () => zipOf([{ name: 'public/zeros.bin', data: Buffer.alloc(2 * 1024 * 1024) }]),
    code: 'artifact.bomb-ratio',
    entry: '/public/zeros.bin',
  },
  {
    name: 'deflate output beyond the declared size',
    zip: () => zipOf([{ name: 'public/zeros.bin', data: Buffer.alloc(100_000), size: 1000 }]),
    code: 'artifact.bomb-ratio',
    entry: '/public/zeros.bin',
  },
];

const config = (text: string, extra: ZipEntrySpec[] = []) =>
  buildZip([
    { name: 'wrangler.jsonc', data: text },
    { name: 'src/index.js', data: 'export default {}' },
    ...extra,
  ]);

const badConfig: Row[] = [
  {
    name: 'unparseable JSON',
    zip: () => config('{ "main": "src/index.js", '),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a non-object config',
    zip: () => config('[1, 2]'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'main missing from the archive',
    zip: () => config('{ "main": "src/missing.js" }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'main outside the archive',
    zip: () => config('{ "main": "../outside.js" }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'an absolute main',
    zip: () => config('{ "main": "/src/index.js" }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a main that is not JavaScript',
    zip: () => config('{ "main": "app.py" }', [{ name: 'app.py', data: 'x' }]),
    code: 'artifact.bad-config',
    entry: '/app.py',
  },
  {
    name: 'a bad compatibility date',
    zip: () => config('{ "main": "src/index.js", "compatibility_date": "soon" }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'flags that are not strings',
    zip: () => config('{ "main": "src/index.js", "compatibility_flags": [1] }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a bad html_handling',
    zip: () => config('{ "assets": { "directory": "src", "html_handling": "sometimes" } }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a bad run_worker_first',
    zip: () =>
      config('{ "main": "src/index.js", "assets": { "directory": "public", "run_worker_first": ["api"] } }', [
        { name: 'public/a.txt', data: 'a' },
      ]),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'an assets directory with no files',
    zip: () => config('{ "main": "src/index.js", "assets": { "directory": "dist" } }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'assets without a directory',
    zip: () => config('{ "main": "src/index.js", "assets": { "binding": "ASSETS" } }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'an assets directory that holds main',
    zip: () => config('{ "main": "src/index.js", "assets": { "directory": "./" } }'),
    code: 'artifact.bad-config',
    entry: '/src/index.js',
  },
  {
    name: 'run_worker_first without main',
    zip: () =>
      config('{ "assets": { "directory": "public", "run_worker_first": true } }', [
        { name: 'public/a.txt', data: 'a' },
      ]),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'an invalid var name',
    zip: () => config('{ "main": "src/index.js", "vars": { "not ok": "x" } }'),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a var named like the assets binding',
    zip: () =>
      config('{ "main": "src/index.js", "vars": { "ASSETS": "x" }, "assets": { "directory": "public" } }', [
        { name: 'public/a.txt', data: 'a' },
      ]),
    code: 'artifact.bad-config',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'both wrangler.json and wrangler.jsonc',
    zip: () => config('{ "main": "src/index.js" }', [{ name: 'wrangler.json', data: '{}' }]),
    code: 'artifact.bad-config',
  },
  {
    name: 'only a wrangler.toml',
    zip: () => buildZip([WORKER, { name: 'wrangler.toml', data: 'main = "worker.js"' }]),
    code: 'artifact.bad-config',
    entry: '/wrangler.toml',
  },
  {
    name: 'a config that is not UTF-8',
    zip: () => buildZip([WORKER, { name: 'wrangler.json', data: Buffer.from([0x7b, 0xff, 0x7d]) }]),
    code: 'artifact.bad-config',
    entry: '/wrangler.json',
  },
  {
    name: 'a _worker.js asset without .assetsignore',
    zip: () => zipOf([{ name: 'public/_worker.js', data: 'x' }]),
    code: 'artifact.bad-config',
    entry: '/public/_worker.js',
  },
  {
    name: 'a _worker.js/ directory asset',
    zip: () => zipOf([{ name: 'public/_worker.js/index.js', data: 'x' }]),
    code: 'artifact.bad-config',
    entry: '/public/_worker.js/index.js',
  },
];

const policy: Row[] = [
  {
    name: 'KV namespaces',
    zip: () => config('{ "main": "src/index.js", "kv_namespaces": [{ "binding": "KV", "id": "x" }] }'),
    code: 'artifact.binding-not-allowed',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'service bindings',
    zip: () => config('{ "main": "src/index.js", "services": [{ "binding": "S", "service": "other" }] }'),
    code: 'artifact.binding-not-allowed',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'durable objects',
    zip: () =>
      config(
        '{ "main": "src/index.js", "durable_objects": { "bindings": [{ "name": "D", "class_name": "C" }] } }',
      ),
    code: 'artifact.binding-not-allowed',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'D1',
    zip: () => config('{ "main": "src/index.js", "d1_databases": [{ "binding": "DB" }] }'),
    code: 'artifact.binding-not-allowed',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'a JSON var (not allowed by default)',
    zip: () => config('{ "main": "src/index.js", "vars": { "FLAGS": { "beta": true } } }'),
    code: 'artifact.binding-not-allowed',
    entry: '/wrangler.jsonc',
  },
  {
    name: '65 vars',
    zip: () =>
      config(
        JSON.stringify({
          main: 'src/index.js',
          vars: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x'])),
        }),
      ),
    code: 'artifact.vars-too-large',
    entry: '/wrangler.jsonc',
  },
  {
    name: 'vars over 64 KiB',
    zip: () => config(JSON.stringify({ main: 'src/index.js', vars: { BIG: 'x'.repeat(64 * 1024) } })),
    code: 'artifact.vars-too-large',
    entry: '/wrangler.jsonc',
  },
];

describe('readArtifact rejections', () => {
  it.each([...notZip, ...corrupt, ...empty, ...entryRules, ...sizes, ...badConfig, ...policy])(
    'rejects $name with $code',
    async ({ zip, code, entry }) => {
      // Prepare
      const archive = zip();
      // Act
      const rejection = await rejectionOf(readZip(archive));
      // Assess
      expect(rejection.code).toBe(code);
      if (entry !== undefined) expect(rejection.entry).toBe(entry);
      expect(rejection.message.length).toBeGreaterThan(10);
    },
  );

  it('rejects a denied compatibility flag with artifact.flag-not-allowed', async () => {
    const archive = config(
      '{ "main": "src/index.js", "compatibility_flags": ["nodejs_compat", "unsafe_eval"] }',
    );
    const rejection = await rejectionOf(
      readZip(archive, { policy: { deniedCompatibilityFlags: ['unsafe_eval'] } }),
    );
    expect(rejection).toMatchObject({ code: 'artifact.flag-not-allowed', entry: '/wrangler.jsonc' });
    expect(rejection.message).toContain('unsafe_eval');
  });

  it('accepts a JSON var when the policy allows it', async () => {
    const archive = config('{ "main": "src/index.js", "vars": { "FLAGS": { "beta": true }, "NAME": "x" } }');
    const artifact = await readZip(archive, { policy: { allowJsonVars: true } });
    expect(artifact.config.vars).toEqual({ FLAGS: { beta: true }, NAME: 'x' });
  });

  it.each([
    ['at the top level (fields would be inherited)', '{ "__proto__": { "main": "src/index.js" } }'],
    ['in vars (the vars would vanish)', '{ "main": "src/index.js", "vars": { "__proto__": { "A": "x" } } }'],
    ['as a plain var', '{ "main": "src/index.js", "vars": { "A": "x", "__proto__": "y" } }'],
    ['escaped', '{ "main": "src/index.js", "vars": { "\\u005f_proto__": "y" } }'],
  ])('rejects a __proto__ key %s, which the parser would turn into a prototype', async (_where, text) => {
    const rejection = await rejectionOf(readZip(config(text)));
    expect(rejection).toMatchObject({ code: 'artifact.bad-config', entry: '/wrangler.jsonc' });
    expect(rejection.message).toContain('a key named "__proto__" is not allowed');
  });

  it('accepts "__proto__" as a value and inside a longer key', async () => {
    const archive = config('{ "main": "src/index.js", "vars": { "A": "__proto__", "__proto__x": "y" } }');
    const artifact = await readZip(archive);
    expect(artifact.config.vars).toEqual({ A: '__proto__', __proto__x: 'y' });
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'accepts an assets binding named %s when no var has that name (Object.prototype is not a var)',
    async (binding) => {
      // Prepare
      const archive = config(
        `{ "main": "src/index.js", "vars": { "A": "x" }, "assets": { "directory": "public", "binding": "${binding}" } }`,
        [{ name: 'public/a.txt', data: 'a' }],
      );
      // Act
      const artifact = await readZip(archive);
      // Assess
      expect(artifact.config).toMatchObject({ assetsBinding: binding, vars: { A: 'x' } });
    },
  );

  it('accepts empty binding sections (templates often carry them)', async () => {
    const archive = config(
      '{ "main": "src/index.js", "kv_namespaces": [], "services": [], "durable_objects": {} }',
    );
    await expect(readZip(archive)).resolves.toMatchObject({ config: { mainModule: 'index.js' } });
  });

  it('reports the earliest bad entry when several are bad', async () => {
    const archive = zipOf([
      { name: 'public/a.txt', data: 'hello', method: 0, crc32: 1 },
      { name: 'public/b.txt', data: 'hello', method: 0, crc32: 2 },
    ]);
    const rejection = await rejectionOf(readZip(archive));
    expect(rejection).toMatchObject({ code: 'artifact.corrupt', entry: '/public/a.txt' });
  });
});
