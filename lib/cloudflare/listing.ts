/**
 * Namespace-wide calls the SDK lacks (list and bulk delete by tag), sent with its generic verbs. The
 * bulk delete is the dangerous one: its tag is validated before any request, and its loop stops when a
 * round deletes nothing yet claims there is more.
 */
import { CloudflareApiError, PipelineError } from '../errors.js';
import { apiPaths, type ClientContext } from './context.js';
import { isRecord, optionalString, readEnvelopeResult, readTags } from './envelope.js';
import { InvalidResponseError } from './map-error.js';
import { assertFilterTag, buildTagFilter } from './tag-filter.js';
import type { ScriptSummary } from './types.js';

/** More rounds than 1000 × this many scripts means the API is not converging. */
const MAX_DELETE_ROUNDS = 10_000;

interface ScriptPage {
  scripts: ScriptSummary[];
  cursor: string | undefined;
}

function readScriptPage(body: unknown): ScriptPage {
  const result = readEnvelopeResult(body, 'the script list');
  if (!Array.isArray(result)) throw new InvalidResponseError('a script list that is not an array');
  const scripts = result.map((item): ScriptSummary => {
    const script = isRecord(item) && isRecord(item.script) ? item.script : undefined;
    if (script === undefined || typeof script.id !== 'string') {
      throw new InvalidResponseError('a script list entry without an id');
    }
    const modifiedOn = optionalString(item.modified_on) ?? optionalString(script.modified_on);
    return {
      id: script.id,
      tags: readTags(script.tags),
      ...(modifiedOn === undefined ? {} : { modifiedOn }),
    };
  });
  const info = isRecord(body) && isRecord(body.result_info) ? body.result_info : undefined;
  const cursor = optionalString(info?.cursor);
  return { scripts, cursor: cursor === '' ? undefined : cursor };
}

/** Lists scripts (all, or those carrying every tag in `tags`), following the cursor to the end. */
export async function listScripts(
  context: ClientContext,
  namespace: string,
  filter: { tags?: string[] } = {},
): Promise<ScriptSummary[]> {
  const { sdk, options, transport } = context;
  const tags = filter.tags !== undefined && filter.tags.length > 0 ? buildTagFilter(filter.tags) : undefined;
  const scripts: ScriptSummary[] = [];
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const query = {
      limit: options.listPageSize,
      ...(tags === undefined ? {} : { tags }),
      ...(cursor ? { cursor } : {}),
    };
    const page = await transport.run(
      { operation: 'listScripts', timeoutMs: options.attemptTimeoutMs },
      async (request) =>
        readScriptPage(
          await sdk.get<unknown>(apiPaths.namespaceScripts(options.accountId, namespace), {
            query,
            ...request,
          }),
        ),
    );
    scripts.push(...page.scripts);
    if (page.cursor === undefined) return scripts;
    if (seenCursors.has(page.cursor)) {
      throw new CloudflareApiError(
        'cloudflare.invalid-response',
        'Cloudflare listScripts repeated a page cursor.',
      );
    }
    seenCursors.add(page.cursor);
    cursor = page.cursor;
  }
}

function readBulkDelete(body: unknown): { ids: string[]; count: number; hasMore: boolean } {
  // The spec documents this answer without the v4 envelope; accept both shapes.
  const bare = isRecord(body) && !('result' in body) && 'deleted' in body;
  const result = bare ? body : readEnvelopeResult(body, 'the bulk delete');
  if (!isRecord(result)) throw new InvalidResponseError('a bulk delete without a result');
  const deleted = Array.isArray(result.deleted) ? result.deleted : [];
  const ids = deleted
    .map((item) => (isRecord(item) ? optionalString(item.id) : undefined))
    .filter((id) => id !== undefined);
  const count = typeof result.deleted_count === 'number' ? result.deleted_count : ids.length;
  return { ids, count, hasMore: result.has_more === true };
}

/** Bulk-deletes every script tagged `tag`, page by page, and returns the deleted ids. */
export async function deleteScriptsByTag(
  context: ClientContext,
  namespace: string,
  tag: string,
): Promise<{ deleted: string[] }> {
  // Before anything else: a bad tag must never reach the filter of a namespace-wide delete.
  assertFilterTag(tag);
  const { sdk, options, transport } = context;
  const query = { tags: `${tag}:yes`, limit: options.deletePageSize };
  const deleted: string[] = [];
  for (let round = 1; round <= MAX_DELETE_ROUNDS; round += 1) {
    const page = await transport.run(
      { operation: 'deleteScriptsByTag', timeoutMs: options.attemptTimeoutMs },
      async (request) =>
        readBulkDelete(
          await sdk.delete<unknown>(apiPaths.namespaceScripts(options.accountId, namespace), {
            query,
            ...request,
          }),
        ),
    );
    deleted.push(...page.ids);
    if (!page.hasMore) return { deleted };
    if (page.ids.length === 0 && page.count === 0) {
      throw new PipelineError(
        'teardown.incomplete',
        `Cloudflare reports more Workers tagged ${tag} but deleted none in round ${round}; stopping.`,
        { details: { tag, rounds: round, deleted: deleted.length } },
      );
    }
  }
  throw new PipelineError(
    'teardown.incomplete',
    `Deleting Workers tagged ${tag} did not finish in ${MAX_DELETE_ROUNDS} rounds.`,
    {
      details: { tag, rounds: MAX_DELETE_ROUNDS, deleted: deleted.length },
    },
  );
}
