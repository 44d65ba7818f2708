/**
 * The reader against Wrangler's recorded behaviour (shared/contracts/wrangler-wire-capture.json): the
 * probe site zipped as an artifact yields the manifest paths, sizes, content types, `_headers` /
 * `_redirects` config and module parts Wrangler sent on the wire.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../helpers/zip-read.js';
import { buildZip, type ZipEntrySpec } from '../../helpers/zip-writer.js';

interface Part {
  name: string;
  content_type: string | null;
  json?: { main_module?: string; assets?: { config?: Record<string, unknown> } };
}
interface Request {
  kind: string;
  method: string;
  path: string;
  body: { json?: { manifest?: Record<string, { hash: string; size: number }> }; parts?: Part[] };
  upload_files?: Array<{ field: string; content_type: string }>;
}
interface Capture {
  projects: Record<string, unknown>;
  variants: Array<{ name: string; requests: Request[] }>;
}

const capture = JSON.parse(
  readFileSync(
    new URL('../../../infra/local/cloudflare/contract/wrangler-wire-capture.json', import.meta.url),
    'utf8',
  ),
) as Capture;
const variant = (name: string) => {
  const found = capture.variants.find((item) => item.name === name);
  if (found === undefined) throw new Error(`no variant ${name}`);
  return found;
};
const scriptParts = (name: string): Part[] =>
  variant(name).requests.find((request) => request.method === 'PUT' && request.body.parts !== undefined)?.body
    .parts ?? [];

/** The probe site's public/ files, with the capture's sizes (content made up, copies identical). */
function probePublicFiles(): ZipEntrySpec[] {
  const files = capture.projects['site/public (files on disk)'] as Array<{ path: string; size: number }>;
  const metadata = scriptParts('base')[0]?.json?.assets?.config ?? {};
  const known: Record<string, string> = {
    _headers: String(metadata._headers),
    _redirects: String(metadata._redirects),
    '.assetsignore': 'private-notes.txt\n',
    'css/copy.css': 'body { color: rebeccapurple; margin: 0 }',
    'css/site.css': 'body { color: rebeccapurple; margin: 0 }',
  };
  return files.map(({ path, size }) => {
    const data = known[path] ?? Buffer.alloc(size, `${size} bytes of ${path.length} `);
    expect(Buffer.byteLength(data)).toBe(size);
    return { name: `site/public/${path}`, data };
  });
}

const probeConfig = String(capture.projects['site/wrangler.jsonc']);

describe('the probe site of the wire capture', () => {
  it('yields the manifest paths, sizes and content types Wrangler sent', async () => {
    // Prepare
    const base = variant('base');
    const manifest = base.requests[0]?.body.json?.manifest ?? {};
    const typeByHash = new Map(
      base.requests
        .flatMap((request) => request.upload_files ?? [])
        .map((file) => [file.field, file.content_type]),
    );
    const expected = Object.entries(manifest).map(([path, { hash, size }]) => {
      const type = typeByHash.get(hash);
      return { path, size, contentType: type === 'application/null' ? null : type };
    });
    const zip = buildZip([
      { name: 'site/wrangler.jsonc', data: probeConfig },
      { name: 'site/src/index.js', data: 'export default { fetch() { return new Response("probe"); } };' },
      ...probePublicFiles(),
    ]);
    // Act
    const artifact = await readZip(zip, { policy: { allowJsonVars: true } });
    // Assess
    const actual = artifact.assets.map(({ path, size, contentType }) => ({ path, size, contentType }));
    expect(actual).toEqual(expect.arrayContaining(expected));
    expect(actual).toHaveLength(expected.length);
    const copy = artifact.assets.find((asset) => asset.path === '/css/copy.css');
    const site = artifact.assets.find((asset) => asset.path === '/css/site.css');
    expect(copy?.hash).toBe(site?.hash);
  });

  it('puts _headers and _redirects into the assets config with the html and 404 handling', async () => {
    const zip = buildZip([
      { name: 'site/wrangler.jsonc', data: probeConfig },
      { name: 'site/src/index.js', data: 'export default {};' },
      ...probePublicFiles(),
    ]);
    const artifact = await readZip(zip, { policy: { allowJsonVars: true } });
    const sent = scriptParts('base')[0]?.json;
    expect({ ...artifact.config.assets }).toEqual(sent?.assets?.config);
    expect(artifact.config).toMatchObject({
      mainModule: sent?.main_module,
      compatibilityDate: '2025-01-15',
      compatibilityFlags: ['nodejs_compat'],
      vars: { GREETING: 'hello from vars', FEATURE_FLAGS: { beta: true, level: 3 } },
      assetsBinding: 'ASSETS',
      hasAssets: true,
    });
  });

  it('types module parts like the modules-no-bundle variant', async () => {
    const expected = scriptParts('modules-no-bundle')
      .filter((part) => part.name !== 'metadata')
      .map((part) => ({ name: part.name, contentType: part.content_type }));
    const zip = buildZip([
      { name: 'wrangler.json', data: '{ "main": "src/index.js", "compatibility_date": "2025-01-15" }' },
      { name: 'src/index.js', data: 'import "./lib/util.js";' },
      { name: 'src/lib/util.js', data: 'export const x = 1;' },
      { name: 'src/add.wasm', data: Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) },
      { name: 'src/greeting.txt', data: 'hello from a text module\n' },
      { name: 'src/blob.bin', data: Buffer.alloc(64, 7) },
      { name: 'README.md', data: 'not a module: outside the main directory' },
    ]);
    const artifact = await readZip(zip);
    const modules = artifact.modules.map(({ name, contentType }) => ({ name, contentType }));
    expect(modules[0]).toEqual(expected[0]);
    expect(modules).toEqual(expect.arrayContaining(expected));
    expect(modules).toHaveLength(expected.length);
  });

  it('sends a source map as <module>.map typed application/source-map, like the source-maps variant', async () => {
    const sent = scriptParts('source-maps').find((part) => part.name.endsWith('.map'));
    const zip = buildZip([
      { name: 'index.js', data: 'export default {};\n//# sourceMappingURL=index.js.map' },
      { name: 'index.js.map', data: '{"version":3,"sources":[],"mappings":""}' },
      { name: 'orphan.map', data: '{}' },
    ]);
    const artifact = await readZip(zip);
    expect(artifact.modules.map(({ name, contentType }) => ({ name, contentType }))).toEqual([
      { name: 'index.js', contentType: 'application/javascript+module' },
      { name: sent?.name, contentType: sent?.content_type },
    ]);
  });
});
