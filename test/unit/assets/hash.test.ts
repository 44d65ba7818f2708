/** The tenant-salted asset hash: its exact formula (an API: changing it re-keys every tenant's assets). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ASSET_HASH_DOMAIN, assetExtension, computeAssetHash } from '../../../lib/assets/hash.js';

const contentSha = createHash('sha256').update('hello world').digest();

describe('computeAssetHash', () => {
  it('matches vectors computed independently (python hashlib) from the documented formula', () => {
    expect(computeAssetHash('acme', 'txt', contentSha)).toBe('46a9be013d5d5f12a118f32459bf304d');
    expect(computeAssetHash('acme', '', contentSha)).toBe('5531ca9709567a707382561ed2373ab3');
  });

  it('is sha256 over domain, tenant, extension and content hash, NUL-separated, cut to 32 hex', () => {
    const input = Buffer.concat([
      Buffer.from(ASSET_HASH_DOMAIN),
      Buffer.from([0]),
      Buffer.from('globex'),
      Buffer.from([0]),
      Buffer.from('html'),
      Buffer.from([0]),
      contentSha,
    ]);
    const expected = createHash('sha256').update(input).digest('hex').slice(0, 32);
    expect(computeAssetHash('globex', 'html', contentSha)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ['another tenant', () => computeAssetHash('globex', 'txt', contentSha)],
    ['another extension', () => computeAssetHash('acme', 'html', contentSha)],
    [
      'other content',
      () => computeAssetHash('acme', 'txt', createHash('sha256').update('hello world!').digest()),
    ],
    ['a tenant/extension boundary shift', () => computeAssetHash('acmet', 'xt', contentSha)],
  ])('changes with %s', (_label, other) => {
    expect(other()).not.toBe(computeAssetHash('acme', 'txt', contentSha));
  });

  it('refuses anything but the 32 raw bytes of a sha256', () => {
    expect(() => computeAssetHash('acme', 'txt', Buffer.from(contentSha.toString('hex')))).toThrow(TypeError);
  });
});

describe('assetExtension', () => {
  it.each([
    ['/index.html', 'html'],
    ['/IMG/Logo.PNG', 'png'],
    ['/archive.tar.gz', 'gz'],
    ['/docs/README', ''],
    ['/.well-known/security.txt', 'txt'],
    ['/.htaccess', ''],
    ['/file.', ''],
    ['/dir.v2/file', ''],
  ])('%s -> %j', (path, extension) => {
    expect(assetExtension(path)).toBe(extension);
  });
});
