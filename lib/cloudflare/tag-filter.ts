/**
 * Tags as they appear in Cloudflare's `tags=<tag>:yes` filters. A tag that is empty or carries `,`
 * (separates pairs), `:` (separates the verdict), `&` / `=` (query syntax) or whitespace could widen a
 * bulk delete to other tenants' Workers, so it is refused before any request is made.
 */
import { PipelineError } from '../errors.js';

/** The safe tag alphabet: lower-case letters, digits and hyphens (cloudflare-protocol.md §7). */
const FILTER_TAG = /^[a-z0-9-]+$/;
/** Longest tag the API stores (`workers_tag` maxLength). */
export const MAX_TAG_LENGTH = 1024;

/** Throws `tag.invalid` unless `tag` can be placed in a filter unchanged. */
export function assertFilterTag(tag: string): void {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH || !FILTER_TAG.test(tag)) {
    const shown = typeof tag === 'string' ? JSON.stringify(tag.slice(0, 80)) : String(tag);
    throw new PipelineError(
      'tag.invalid',
      `Tag ${shown} cannot be used in a Cloudflare tag filter: use 1-${MAX_TAG_LENGTH} lower-case letters, digits and hyphens.`,
    );
  }
}

/** `a:yes,b:yes`: scripts that carry every tag in `tags` (each validated first). */
export function buildTagFilter(tags: readonly string[]): string {
  for (const tag of tags) assertFilterTag(tag);
  return tags.map((tag) => `${tag}:yes`).join(',');
}
