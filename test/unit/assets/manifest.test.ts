/** Asset selection (Wrangler's ignore rules and `_worker.js` guard) and Cloudflare's manifest shape. */
import { describe, expect, it } from 'vitest';
import { buildAssetManifest, selectAssets } from '../../../lib/assets/manifest.js';
import { InvalidArtifactError } from '../../../lib/errors.js';

const candidates = (...paths: string[]) => paths.map((relative) => ({ relative, file: relative }));
const select = (paths: string[], ignore?: string) =>
  selectAssets(candidates(...paths), ignore, (candidate) => `/public/${candidate.relative}`).map(
    (kept) => kept.relative,
  );

describe('selectAssets', () => {
  it('always leaves out the root .assetsignore, _headers and _redirects (but not nested ones)', () => {
    expect(select(['.assetsignore', '_headers', '_redirects', 'docs/_headers', 'a.txt'], '')).toEqual([
      'docs/_headers',
      'a.txt',
    ]);
  });

  it('applies .assetsignore with gitignore semantics (globs, directories, negation, CRLF)', () => {
    const ignore = '*.map\r\nsecret/\n!secret/public.txt\n/root-only.txt\n# comment\n';
    expect(
      select(
        ['a.js', 'a.js.map', 'secret/x.txt', 'secret/public.txt', 'root-only.txt', 'sub/root-only.txt'],
        ignore,
      ),
    ).toEqual(['a.js', 'sub/root-only.txt']);
  });

  it.each([['_worker.js'], ['_worker.js/index.js']])('refuses %s without an .assetsignore', (path) => {
    expect(() => select([path, 'a.txt'])).toThrow(InvalidArtifactError);
  });

  it('allows _worker.js once an .assetsignore exists (even empty), and skips it when listed', () => {
    expect(select(['_worker.js', 'a.txt'], '')).toEqual(['_worker.js', 'a.txt']);
    expect(select(['_worker.js', 'a.txt'], '_worker.js\n')).toEqual(['a.txt']);
  });

  it('does not mistake _worker.json for _worker.js', () => {
    expect(select(['_worker.json'])).toEqual(['_worker.json']);
  });
});

describe('buildAssetManifest', () => {
  it('maps each path to its hash and size', () => {
    expect(
      buildAssetManifest([
        { path: '/a.txt', hash: '0'.repeat(32), size: 1 },
        { path: '/b.txt', hash: '0'.repeat(32), size: 1 },
      ]),
    ).toEqual({ '/a.txt': { hash: '0'.repeat(32), size: 1 }, '/b.txt': { hash: '0'.repeat(32), size: 1 } });
  });
});
