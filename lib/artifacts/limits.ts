/**
 * The bounds an artifact must stay within, and the config policy. Every limit is a named constant with
 * its reason; callers override them per deployment (`lib/config.ts` reads the environment).
 */
import { ConfigError } from '../errors.js';

const MiB = 1024 * 1024;

/** Cloudflare refuses assets over 25 MiB (wrangler's `MAX_ASSET_SIZE`); we apply it to every file. */
export const MAX_FILE_BYTES = 25 * MiB;
/** Cloudflare's asset count limit on paid plans: the most a deployment may configure. */
export const MAX_FILES_CEILING = 100_000;
/** Cloudflare's asset count limit on free plans: the default. */
export const DEFAULT_MAX_FILES = 20_000;
/** Deflate cannot expand more than ~1032:1, so a declared ratio above this is always a lie. */
export const DEFLATE_MAX_RATIO = 1032;

/** `.assetsignore` rules (lines other than blanks and comments): real files hold a few dozen. */
export const MAX_ASSETSIGNORE_RULES = 1000;
/** One `.assetsignore` rule, in UTF-8 bytes: as long as the longest path. */
export const MAX_ASSETSIGNORE_RULE_BYTES = 1024;
/** `.assetsignore` itself: keeps the compiled rules small enough to stay in the CPU caches while matching. */
export const MAX_ASSETSIGNORE_BYTES = 64 * 1024;
/**
 * The work matching `.assetsignore` against the assets may take, per file of the assets directory and
 * counting at least {@link DEFAULT_MAX_FILES} files (100 million steps of lib/assets/ignore-matcher.ts,
 * about 0.5 s at worst on one core; README "Limits" has the figures).
 */
export const ASSETSIGNORE_STEPS_PER_FILE = 5_000;

/** Size and count bounds, all checked on the central directory before any entry is read. */
export interface ArtifactLimits {
  /** Regular files kept (after junk and directories are dropped). */
  maxFiles: number;
  /** Uncompressed bytes of one file. */
  maxFileBytes: number;
  /** Uncompressed bytes of all kept files together. */
  maxTotalBytes: number;
  /** Uncompressed / compressed size of one entry, checked for entries of at least `ratioMinBytes`. */
  maxCompressionRatio: number;
  /** Entries smaller than this are too small to matter as a bomb and skip the ratio check. */
  ratioMinBytes: number;
  /** A normalised path, in UTF-8 bytes. */
  maxPathBytes: number;
  /** One path segment, in UTF-8 bytes (what file systems and CDNs accept). */
  maxSegmentBytes: number;
  /** `wrangler.json(c)`. */
  maxConfigBytes: number;
  /** `_headers`, `_redirects` and `.assetsignore`, each (they travel inside the script metadata). */
  maxAssetsConfigBytes: number;
  /** Number of `vars`. Cloudflare allows 64 environment variables on free plans. */
  maxVars: number;
  /** Names plus JSON-encoded values of all `vars`. */
  maxVarsBytes: number;
}

/** What a Worker config may ask for. */
export interface ArtifactPolicy {
  /** Allow non-string `vars` (sent as `json` bindings); otherwise only `plain_text`. */
  allowJsonVars: boolean;
  /** Compatibility flags an artifact may not set (e.g. ones that widen what a tenant can reach). */
  deniedCompatibilityFlags: string[];
}

/** The defaults (documented in README "Limits"). */
export const DEFAULT_LIMITS: Readonly<ArtifactLimits> = Object.freeze({
  maxFiles: DEFAULT_MAX_FILES,
  maxFileBytes: MAX_FILE_BYTES,
  maxTotalBytes: 2 * 1024 * MiB,
  maxCompressionRatio: 200,
  ratioMinBytes: MiB,
  maxPathBytes: 1024,
  maxSegmentBytes: 255,
  maxConfigBytes: MiB,
  maxAssetsConfigBytes: 512 * 1024,
  maxVars: 64,
  maxVarsBytes: 64 * 1024,
});

export const DEFAULT_POLICY: Readonly<ArtifactPolicy> = Object.freeze({
  allowJsonVars: false,
  deniedCompatibilityFlags: [],
});

/** Upper bounds a deployment may configure; beyond them the reader's memory budget no longer holds. */
const CEILINGS: Readonly<ArtifactLimits> = {
  maxFiles: MAX_FILES_CEILING,
  maxFileBytes: MAX_FILE_BYTES,
  maxTotalBytes: 64 * 1024 * MiB,
  maxCompressionRatio: DEFLATE_MAX_RATIO,
  ratioMinBytes: MAX_FILE_BYTES,
  maxPathBytes: 4096,
  maxSegmentBytes: 1024,
  maxConfigBytes: 8 * MiB,
  maxAssetsConfigBytes: 4 * MiB,
  maxVars: 1024,
  maxVarsBytes: 4 * MiB,
};

/** Merges overrides into the defaults; a value outside 1..ceiling is a deployment error. */
export function resolveLimits(overrides: Partial<ArtifactLimits> = {}): ArtifactLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, ceiling] of Object.entries(CEILINGS) as [keyof ArtifactLimits, number][]) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < 1 || value > ceiling) {
      throw new ConfigError(`Artifact limit ${name} must be an integer from 1 to ${ceiling} (got ${value}).`);
    }
  }
  return limits;
}

/** Merges policy overrides into the defaults. */
export function resolvePolicy(overrides: Partial<ArtifactPolicy> = {}): ArtifactPolicy {
  return {
    allowJsonVars: overrides.allowJsonVars ?? DEFAULT_POLICY.allowJsonVars,
    deniedCompatibilityFlags: [
      ...(overrides.deniedCompatibilityFlags ?? DEFAULT_POLICY.deniedCompatibilityFlags),
    ],
  };
}

/** The most central-directory records (files, directories, junk) read before giving up. */
export const maxRecordsFor = (limits: ArtifactLimits): number => limits.maxFiles * 2 + 10_000;
