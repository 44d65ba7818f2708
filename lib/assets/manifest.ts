/**
 * The asset manifest, the way Wrangler builds it from a directory (cloudflare-protocol.md §3): every file
 * of the assets directory except `/.assetsignore`, `/_headers` and `/_redirects` and what `.assetsignore`
 * lists (gitignore syntax, as the `ignore` package reads it), with Wrangler's `_worker.js` guard. Paths
 * start with `/` and are relative to the assets directory.
 */
import type { ArtifactAsset } from '../artifacts/types.js';
import type { AssetManifest } from '../cloudflare/types.js';
import { InvalidArtifactError } from '../errors.js';
import { compileAssetsIgnore, decideIgnored } from './assets-ignore.js';
import { compileRule, type IgnoreRule } from './ignore-rules.js';

export const ASSETS_IGNORE_FILE = '.assetsignore';
export const HEADERS_FILE = '_headers';
export const REDIRECTS_FILE = '_redirects';
/** Pages' server-code file: uploading it as an asset would publish the code. */
const WORKER_JS = '_worker.js';

/** Files at the assets root that configure the assets rather than being served. */
export const ASSETS_ROOT_FILES: readonly string[] = [ASSETS_IGNORE_FILE, HEADERS_FILE, REDIRECTS_FILE];

/** Wrangler's own rules, before the file's (so the file may negate them, as with Wrangler). */
const ROOT_FILE_RULES: readonly IgnoreRule[] = ASSETS_ROOT_FILES.flatMap(
  (name) => compileRule(`/${name}`, false) ?? [],
);

/** One file of the assets directory: its path relative to that directory (no leading slash). */
export interface AssetCandidate<T> {
  relative: string;
  file: T;
}

/**
 * Keeps the files that become assets. `assetsIgnore` is the text of `.assetsignore` (undefined when the
 * directory has none); `describe` turns a candidate into the archive path used in error messages.
 */
export function selectAssets<T>(
  candidates: readonly AssetCandidate<T>[],
  assetsIgnore: string | undefined,
  describe: (candidate: AssetCandidate<T>) => string,
): AssetCandidate<T>[] {
  const file = candidates.find((candidate) => candidate.relative === ASSETS_IGNORE_FILE);
  const entry = file === undefined ? `/${ASSETS_IGNORE_FILE}` : describe(file);
  const rules =
    assetsIgnore === undefined
      ? ROOT_FILE_RULES
      : [...ROOT_FILE_RULES, ...compileAssetsIgnore(assetsIgnore, entry)];
  const ignored = decideIgnored(
    rules,
    candidates.map((candidate) => candidate.relative),
    entry,
  );
  const kept = candidates.filter((_, index) => !ignored[index]);
  if (assetsIgnore === undefined) {
    const worker = kept.find(
      (candidate) => candidate.relative === WORKER_JS || candidate.relative.startsWith(`${WORKER_JS}/`),
    );
    if (worker !== undefined) {
      const entry = describe(worker);
      throw new InvalidArtifactError(
        'artifact.bad-config',
        `The assets directory holds ${entry}, Pages server code that would be served publicly. Remove it, ` +
          `or add a ${ASSETS_IGNORE_FILE} file to the assets directory (listing ${WORKER_JS} to skip it, ` +
          'or empty to publish it on purpose).',
        { entry },
      );
    }
  }
  return kept;
}

/** Cloudflare's manifest: `path -> {hash, size}`. */
export function buildAssetManifest(
  assets: readonly Pick<ArtifactAsset, 'path' | 'hash' | 'size'>[],
): AssetManifest {
  const manifest: AssetManifest = {};
  for (const asset of assets) manifest[asset.path] = { hash: asset.hash, size: asset.size };
  return manifest;
}
