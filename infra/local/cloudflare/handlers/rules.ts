/**
 * Naming rules the emulator enforces where Cloudflare's are UNCONFIRMED (cloudflare-protocol.md §7-8):
 * stricter than the real API is the safe side, since passing here must mean passing there.
 */
import { badRequest, CF_CODES } from '../api-error.js';

/** Script names: 1-63 of `a-z 0-9 _ -`, starting and ending with a letter or digit. */
const SCRIPT_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
/** Tags: 1-1024 of `a-z 0-9 -` (no `,` `&` `:` `=`, which break filters, and no whitespace). */
const TAG = /^[a-z0-9-]{1,1024}$/;

export function assertScriptName(name: string): void {
  if (!SCRIPT_NAME.test(name)) {
    throw badRequest(
      CF_CODES.malformedParameter,
      `script name ${JSON.stringify(name.slice(0, 80))} is invalid: use 1-63 lower-case letters, digits, "_" and "-", starting and ending with a letter or digit`,
    );
  }
}

export const isValidTag = (tag: unknown): tag is string => typeof tag === 'string' && TAG.test(tag);

/** Validates a full tag set (count and characters); answers 400 with `code`. */
export function assertTags(tags: unknown, maxTags: number, code: number): string[] {
  if (!Array.isArray(tags)) throw badRequest(code, 'tags must be an array of strings');
  const unique = [...new Set(tags)];
  for (const tag of unique) {
    if (!isValidTag(tag)) {
      throw badRequest(
        code,
        `tag ${JSON.stringify(String(tag).slice(0, 80))} is invalid: use 1-1024 of a-z, 0-9 and "-"`,
      );
    }
  }
  if (unique.length > maxTags)
    throw badRequest(code, `a script may carry at most ${maxTags} tags (got ${unique.length})`);
  return unique as string[];
}

/** One `tag:yes` / `tag:no` pair of a filter. */
export interface TagCondition {
  tag: string;
  present: boolean;
}

/** Parses `a:yes,b:no`; malformed filters answer 400 / 10004. */
export function parseTagFilter(raw: string): TagCondition[] {
  return raw.split(',').map((pair) => {
    const match = /^([^:]+):(yes|no)$/.exec(pair);
    if (match === null || !isValidTag(match[1])) {
      throw badRequest(
        CF_CODES.malformedParameter,
        `tags filter ${JSON.stringify(pair.slice(0, 80))} must be <tag>:yes or <tag>:no`,
      );
    }
    return { tag: match[1], present: match[2] === 'yes' };
  });
}

/** Every condition holds (pairs combine with AND). */
export const matchesFilter = (tags: readonly string[], filter: readonly TagCondition[]): boolean =>
  filter.every((condition) => tags.includes(condition.tag) === condition.present);
