/**
 * The tags the pipeline assigns to Workers. Every Worker carries its tenant tag (from the trusted key
 * prefix), plus optional extra tags a build system asks for in the artifact's S3 metadata (`x-amz-meta-tags`,
 * comma-separated). Extra tags must be `<kind>-<value>` with a configured kind (project, plan, env by
 * default), so they can never take the tenant prefix and forge another tenant's tag.
 */
import { PipelineError } from '../errors.js';
import { assertTenant } from './identity.js';

export interface TagPolicy {
  /** Prefix of the tenant tag, e.g. `tenant-` gives `tenant-acme`. */
  tenantTagPrefix: string;
  /** Kinds allowed for extra tags, e.g. `project` allows `project-blog`. */
  extraTagKinds: readonly string[];
  /** Cloudflare's limit per script. */
  maxTags: number;
}

/** Cloudflare allows 8 tags per script (the docs; the spec says 10, design for 8). */
export const CLOUDFLARE_MAX_TAGS = 8;
/** The tag character set: lower-case letters and digits joined by single hyphens; safe in filters. */
const SAFE_TAG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Longest tag we assign. */
export const MAX_TAG_LENGTH = 63;

export const DEFAULT_TAG_POLICY: TagPolicy = {
  tenantTagPrefix: 'tenant-',
  extraTagKinds: ['project', 'plan', 'env'],
  maxTags: CLOUDFLARE_MAX_TAGS,
};

/** The tenant tag of `tenant`. */
export const tenantTag = (tenant: string, policy: TagPolicy): string =>
  `${policy.tenantTagPrefix}${assertTenant(tenant)}`;

function assertSafeTag(tag: string): void {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH || !SAFE_TAG.test(tag)) {
    throw new PipelineError(
      'tag.invalid',
      `Tag ${JSON.stringify(tag.slice(0, 80))} is not valid: use 1-${MAX_TAG_LENGTH} lower-case letters and digits joined by single hyphens.`,
    );
  }
}

const extraKind = (tag: string, policy: TagPolicy): string | undefined =>
  policy.extraTagKinds.find((kind) => tag.startsWith(`${kind}-`) && tag.length > kind.length + 1);

/** Validates one extra tag against the policy. */
function assertExtraTag(tag: string, policy: TagPolicy): void {
  assertSafeTag(tag);
  if (tag.startsWith(policy.tenantTagPrefix)) {
    throw new PipelineError('tag.reserved', `Tag ${JSON.stringify(tag)} uses the reserved tenant prefix.`);
  }
  if (extraKind(tag, policy) === undefined) {
    throw new PipelineError(
      'tag.invalid',
      `Tag ${JSON.stringify(tag)} must start with one of: ${policy.extraTagKinds.map((kind) => `${kind}-`).join(', ')}.`,
    );
  }
}

/** The full tag set of a Worker: the tenant tag first, then the validated, de-duplicated extra tags. */
export function buildScriptTags(tenant: string, extraTags: string | undefined, policy: TagPolicy): string[] {
  const extras = [
    ...new Set(
      (extraTags ?? '')
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag.length > 0),
    ),
  ];
  for (const tag of extras) assertExtraTag(tag, policy);
  const tags = [tenantTag(tenant, policy), ...extras];
  if (tags.length > policy.maxTags) {
    throw new PipelineError(
      'tag.too-many',
      `A Worker may carry ${policy.maxTags} tags: the tenant tag and at most ${policy.maxTags - 1} extra tags (got ${extras.length}).`,
    );
  }
  return tags;
}

/**
 * Checks that `tag` is one the pipeline assigns (a tenant tag of a valid tenant, or an extra tag of an
 * allowed kind) before an operator may bulk-delete by it.
 */
export function assertAssignableTag(tag: unknown, policy: TagPolicy): string {
  if (typeof tag !== 'string' || tag.trim().length === 0) {
    throw new PipelineError('tag.invalid', 'The tag is empty.');
  }
  assertSafeTag(tag);
  if (tag.startsWith(policy.tenantTagPrefix)) {
    assertTenant(tag.slice(policy.tenantTagPrefix.length));
    return tag;
  }
  if (extraKind(tag, policy) === undefined) {
    throw new PipelineError(
      'tag.not-ours',
      `Tag ${JSON.stringify(tag)} is not one the pipeline assigns; refusing to delete by it.`,
    );
  }
  return tag;
}
