/**
 * Content types as Wrangler serves them: `mime` by extension, `; charset=utf-8` added to `text/*` types
 * that lack a charset, and no type (`null`, sent as `application/null`) when the extension is unknown.
 * Wrangler uses mime 3; we have mime 4, whose only differences for web files are `.js` and `.mjs`
 * (`text/javascript` in mime 4, `application/javascript` in mime 3), so those follow Wrangler.
 * Module parts use the types of the wire capture (wrangler-wire-capture.json, modules-no-bundle).
 * The tables are Maps: the extension is the tenant's, and a plain object would answer `constructor` or
 * `__proto__` from Object.prototype (a fuzz finding).
 */
import mime from 'mime';
import { assetExtension } from './hash.js';

/** Where mime 4 and Wrangler's mime 3 disagree, Wrangler wins. */
const WRANGLER_TYPES: ReadonlyMap<string, string> = new Map([
  ['js', 'application/javascript'],
  ['mjs', 'application/javascript'],
]);

/** The content type Cloudflare serves an asset with, from its extension (see {@link assetExtension}). */
export function contentTypeForExtension(extension: string): string | null {
  if (extension === '') return null;
  const type = WRANGLER_TYPES.get(extension) ?? mime.getType(extension);
  if (type === null) return null;
  return type.startsWith('text/') && !type.includes('charset') ? `${type}; charset=utf-8` : type;
}

/** The content type of the asset at `path`. */
export const assetContentType = (path: string): string | null =>
  contentTypeForExtension(assetExtension(path));

/** The part type of ES modules (`.js`, `.mjs`). */
export const ES_MODULE_TYPE = 'application/javascript+module';
/** The part type of CommonJS modules (`.cjs`). */
export const COMMONJS_MODULE_TYPE = 'application/javascript';
/** The part type of source maps (`<module>.map`). */
export const SOURCE_MAP_TYPE = 'application/source-map';

/** Module part types by extension (Wrangler's default module rules, as captured on the wire). */
export const MODULE_CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['js', ES_MODULE_TYPE],
  ['mjs', ES_MODULE_TYPE],
  ['cjs', COMMONJS_MODULE_TYPE],
  ['wasm', 'application/wasm'],
  ['txt', 'text/plain'],
  ['html', 'text/plain'],
  ['sql', 'text/plain'],
  ['bin', 'application/octet-stream'],
  ['map', SOURCE_MAP_TYPE],
]);

/** The module part type of `path`, or undefined when the file is not a module. */
export const moduleContentType = (path: string): string | undefined =>
  MODULE_CONTENT_TYPES.get(assetExtension(path));
