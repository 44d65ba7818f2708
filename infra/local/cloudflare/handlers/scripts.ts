/** Script details, delete, list by tag filter, and bulk delete by tag filter. */
import { badRequest, CF_CODES } from '../api-error.js';
import type { Namespace, StoredScript } from '../state.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { readFlag } from './context.js';
import { matchesFilter, parseTagFilter, type TagCondition } from './rules.js';
import { namespaceScriptResponse } from './script-info.js';

/** The documented maximum `limit` of list and bulk delete calls. */
const MAX_LIMIT = 1000;

const scriptOf = (context: HandlerContext): { namespace: Namespace; script: StoredScript } => {
  const namespace = context.state.requireNamespace(context.params.dispatch_namespace ?? '');
  return { namespace, script: context.state.requireScript(namespace, context.params.script_name ?? '') };
};

/** `limit`, capped by the emulator's page size; 1..1000 or 400 / 10004. */
function readLimit(query: URLSearchParams, cap: number): number {
  const raw = query.get('limit');
  if (raw === null) return cap;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(CF_CODES.malformedParameter, `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return Math.min(limit, cap);
}

function matching(namespace: Namespace, filter: TagCondition[] | undefined): StoredScript[] {
  return [...namespace.scripts.values()]
    .filter((script) => filter === undefined || matchesFilter(script.tags, filter))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** GET …/scripts/{script_name} */
export function getScript(context: HandlerContext): HandlerResult {
  const { namespace, script } = scriptOf(context);
  return { status: 200, result: namespaceScriptResponse(namespace.name, script) };
}

/** DELETE …/scripts/{script_name}?force: bindings between scripts are not modelled, so force changes nothing. */
export async function deleteScript(context: HandlerContext): Promise<HandlerResult> {
  const { namespace, script } = scriptOf(context);
  readFlag(context.query, 'force');
  namespace.scripts.delete(script.name);
  await context.persist();
  return { status: 200, result: null };
}

/** GET …/scripts?tags=&limit=&cursor=: sorted by name; the cursor is opaque (the last name, encoded). */
export function listScripts(context: HandlerContext): HandlerResult {
  const namespace = context.state.requireNamespace(context.params.dispatch_namespace ?? '');
  const raw = context.query.get('tags');
  const filter = raw === null || raw === '' ? undefined : parseTagFilter(raw);
  const limit = readLimit(context.query, context.options.listPageSize);
  const cursor = context.query.get('cursor');
  let after: string | undefined;
  if (cursor !== null && cursor !== '') {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!after.startsWith('after:')) throw badRequest(CF_CODES.malformedParameter, 'cursor is invalid');
    after = after.slice('after:'.length);
  }
  const all = matching(namespace, filter).filter((script) => after === undefined || script.name > after);
  const page = all.slice(0, limit);
  const last = page.at(-1);
  const next =
    all.length > page.length && last !== undefined
      ? Buffer.from(`after:${last.name}`).toString('base64url')
      : undefined;
  return {
    status: 200,
    result: page.map((script) => namespaceScriptResponse(namespace.name, script)),
    resultInfo: { count: page.length, per_page: limit, ...(next === undefined ? {} : { cursor: next }) },
  };
}

/**
 * DELETE …/scripts?tags=&limit=. Refused without a tag filter: the spec calls it optional and what
 * Cloudflare then deletes is UNCONFIRMED (possibly everything), so a client must never send one.
 */
export async function deleteScriptsByTag(context: HandlerContext): Promise<HandlerResult> {
  const namespace = context.state.requireNamespace(context.params.dispatch_namespace ?? '');
  const raw = context.query.get('tags');
  if (raw === null || raw.trim() === '') {
    throw badRequest(
      CF_CODES.missingParameter,
      'a bulk delete needs a tags filter (refusing to delete every script)',
    );
  }
  const filter = parseTagFilter(raw);
  const limit = readLimit(context.query, context.options.deletePageSize);
  const candidates = matching(namespace, filter);
  const deleted = candidates.slice(0, limit);
  for (const script of deleted) namespace.scripts.delete(script.name);
  await context.persist();
  return {
    status: 200,
    result: {
      deleted: deleted.map((script) => ({ id: script.name })),
      deleted_count: deleted.length,
      has_more: candidates.length > deleted.length,
    },
  };
}
