/** Content types as Wrangler sends them (checked against the wire capture) and module part types. */
import { describe, expect, it } from 'vitest';
import {
  assetContentType,
  contentTypeForExtension,
  moduleContentType,
} from '../../../lib/assets/content-type.js';

/** Extensions that name Object.prototype members (assetExtension lower-cases, hence both spellings). */
const PROTOTYPE_KEYS = ['constructor', '__proto__', 'tostring', 'toString', 'hasownproperty', 'valueof'];

describe('assetContentType', () => {
  it.each([
    // Recorded in wrangler-wire-capture.json (base variant, per uploaded file).
    ['/404.html', 'text/html; charset=utf-8'],
    ['/empty.txt', 'text/plain; charset=utf-8'],
    ['/img/logo.png', 'image/png'],
    ['/files/blob.xyz123', null],
    ['/docs/README', null],
    ['/docs/_headers', null],
    ['/docs/guide/deep/data.json', 'application/json'],
    ['/css/site.css', 'text/css; charset=utf-8'],
    ['/.well-known/security.txt', 'text/plain; charset=utf-8'],
    // Wrangler's mime 3 where mime 4 differs.
    ['/app.js', 'application/javascript'],
    ['/app.mjs', 'application/javascript'],
    // Others, from mime with the text/* charset rule.
    ['/feed.xml', 'application/xml'],
    ['/icon.svg', 'image/svg+xml'],
    ['/notes.md', 'text/markdown; charset=utf-8'],
    ['/font.woff2', 'font/woff2'],
    ['/module.wasm', 'application/wasm'],
    ['/UPPER.HTML', 'text/html; charset=utf-8'],
  ])('%s is served as %j', (path, type) => {
    expect(assetContentType(path)).toBe(type);
  });

  it.each(PROTOTYPE_KEYS)(
    'knows no type for the extension .%s (a plain-object table answered from Object.prototype)',
    (extension) => {
      // Act
      const type = assetContentType(`/x.${extension}`);
      // Assess
      expect(type).toBeNull();
    },
  );

  it('is a function of the hashed extension only, so one hash never needs two types', () => {
    expect(contentTypeForExtension('html')).toBe(assetContentType('/a/b/c.HTML'));
    expect(contentTypeForExtension('')).toBeNull();
  });
});

describe('moduleContentType', () => {
  it.each([
    ['index.js', 'application/javascript+module'],
    ['chunk.mjs', 'application/javascript+module'],
    ['legacy.cjs', 'application/javascript'],
    ['add.wasm', 'application/wasm'],
    ['greeting.txt', 'text/plain'],
    ['page.html', 'text/plain'],
    ['query.sql', 'text/plain'],
    ['blob.bin', 'application/octet-stream'],
    ['index.js.map', 'application/source-map'],
    ['package.json', undefined],
    ['README', undefined],
  ])('%s -> %j', (name, type) => {
    expect(moduleContentType(name)).toBe(type);
  });

  it.each(PROTOTYPE_KEYS)('does not make x.%s a module (it got a function as its type)', (extension) => {
    // Act
    const type = moduleContentType(`x.${extension}`);
    // Assess
    expect(type).toBeUndefined();
  });
});
