/**
 * The asset hash Cloudflare sees. Cloudflare deduplicates uploaded assets across the whole dispatch
 * namespace and fixes the content type per hash, so the hash is salted with the tenant (two tenants never
 * share, probe or poison each other's assets) and covers the extension (the same bytes as `.txt` and
 * `.html` are two assets with two content types):
 *
 *   hash = hex(sha256("workers-drop/asset-hash/v1" 0x00 tenant 0x00 extension 0x00 sha256(content)))[0..32)
 *
 * `extension` is the lower-case extension of the file name without its dot (empty when there is none;
 * see {@link assetExtension}); `sha256(content)` is the 32 raw bytes computed once while streaming.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** The domain-separation prefix; bump the version to re-key every tenant's assets. */
export const ASSET_HASH_DOMAIN = 'workers-drop/asset-hash/v1';
/** Cloudflare's manifest hashes are 32 lower-case hex characters. */
export const ASSET_HASH_LENGTH = 32;

const SEPARATOR = Buffer.from([0]);

/** The lower-case extension of `path`'s last segment without the dot (`''` for `README` or `.env`). */
export function assetExtension(path: string): string {
  return posix.extname(posix.basename(path)).slice(1).toLowerCase();
}

/** The tenant-salted 32-hex hash of an asset with content sha256 `contentSha256` (32 raw bytes). */
export function computeAssetHash(tenant: string, extension: string, contentSha256: Uint8Array): string {
  if (contentSha256.length !== 32) throw new TypeError('contentSha256 must be the 32 raw bytes of a sha256.');
  return createHash('sha256')
    .update(ASSET_HASH_DOMAIN)
    .update(SEPARATOR)
    .update(tenant)
    .update(SEPARATOR)
    .update(extension)
    .update(SEPARATOR)
    .update(contentSha256)
    .digest('hex')
    .slice(0, ASSET_HASH_LENGTH);
}
