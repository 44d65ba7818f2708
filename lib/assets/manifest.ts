/**
 * The asset manifest, the way Wrangler builds it from a directory (cloudflare-protocol.md §3): every file
 * of the assets directory except `/.assetsignore`, `/_headers` and `/_redirects` and what `.assetsignore`
 * lists (gitignore syntax), with Wrangler's `_worker.js` guard. Paths start with `/` and are relative to
 * the assets directory.
 */
import ignore from 'ignore';
import type { ArtifactAsset } from '../artifacts/types.js';
import type { AssetManifest } from '../cloudflare/types.js';
import { InvalidArtifactError } from '../errors.js';

export const ASSETS_IGNORE_FILE = '.assetsignore';
export const HEADERS_FILE = '_headers';
export const REDIRECTS_FILE = '_redirects';
/** Pages' server-code file: uploading it as an asset would publish the code. */
const WORKER_JS = '_worker.js';

/** Files at the assets root that configure the assets rather than being served. */
export const ASSETS_ROOT_FILES: readonly string[] = [ASSETS_IGNORE_FILE, HEADERS_FILE, REDIRECTS_FILE];

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
  const matcher = ignore().add(ASSETS_ROOT_FILES.map((name) => `/${name}`));
  if (assetsIgnore !== undefined) matcher.add(assetsIgnore.split(/\r?\n/));
  const kept = candidates.filter((candidate) => !matcher.ignores(candidate.relative));
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
