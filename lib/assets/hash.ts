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
import { hash } from 'node:crypto';
import { posix } from 'node:path';

/** The domain-separation prefix; bump the version to re-key every tenant's assets. */
export const ASSET_HASH_DOMAIN = 'workers-drop/asset-hash/v1';
/** Cloudflare's manifest hashes are 32 lower-case hex characters. */
export const ASSET_HASH_LENGTH = 32;

/** The lower-case extension of `path`'s last segment without the dot (`''` for `README` or `.env`). */
export function assetExtension(path: string): string {
  return posix.extname(posix.basename(path)).slice(1).toLowerCase();
}

/** The tenant-salted 32-hex hash of an asset with content sha256 `contentSha256` (32 raw bytes). */
export function computeAssetHash(tenant: string, extension: string, contentSha256: Uint8Array): string {
  return assetHasher(tenant)(extension, contentSha256);
}

/**
 * {@link computeAssetHash} for many assets of one tenant: the hashed prefix is built once per extension,
 * and each asset costs one one-shot sha256.
 */
export function assetHasher(tenant: string): (extension: string, contentSha256: Uint8Array) => string {
  const prefixes = new Map<string, Buffer>();
  return (extension, contentSha256) => {
    if (contentSha256.length !== 32)
      throw new TypeError('contentSha256 must be the 32 raw bytes of a sha256.');
    let prefix = prefixes.get(extension);
    if (prefix === undefined) {
      prefix = Buffer.from(`${ASSET_HASH_DOMAIN}\0${tenant}\0${extension}\0`);
      prefixes.set(extension, prefix);
    }
    const input = Buffer.allocUnsafe(prefix.length + contentSha256.length);
    prefix.copy(input);
    input.set(contentSha256, prefix.length);
    return hash('sha256', input, 'hex').slice(0, ASSET_HASH_LENGTH);
  };
}
