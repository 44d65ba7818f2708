/** The tags subresource of one script. */
import { badRequest, CF_CODES } from '../api-error.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { readJsonBody } from './context.js';
import { assertTags, isValidTag } from './rules.js';

const scriptOf = (context: HandlerContext) => {
  const namespace = context.state.requireNamespace(context.params.dispatch_namespace ?? '');
  return context.state.requireScript(namespace, context.params.script_name ?? '');
};

const tagParam = (context: HandlerContext): string => {
  const tag = context.params.tag ?? '';
  if (!isValidTag(tag))
    throw badRequest(
      CF_CODES.malformedParameter,
      `tag ${JSON.stringify(String(tag).slice(0, 80))} is invalid`,
    );
  return tag;
};

/** GET …/tags */
export const getTags = (context: HandlerContext): HandlerResult => ({
  status: 200,
  result: scriptOf(context).tags,
});

/** PUT …/tags with a JSON array (or null): replaces the whole set. */
export async function putTags(context: HandlerContext): Promise<HandlerResult> {
  const script = scriptOf(context);
  const body = readJsonBody(context, CF_CODES.validation);
  context.contract.checkJsonBody('namespace-worker-put-script-tags', body, CF_CODES.validation);
  script.tags = body === null ? [] : assertTags(body, context.options.maxTags, CF_CODES.validation);
  await context.persist();
  return { status: 200, result: script.tags };
}

/** PUT …/tags/{tag}: adds one tag. */
export async function putTag(context: HandlerContext): Promise<HandlerResult> {
  const script = scriptOf(context);
  const tag = tagParam(context);
  if (!script.tags.includes(tag))
    script.tags = assertTags([...script.tags, tag], context.options.maxTags, CF_CODES.validation);
  await context.persist();
  return { status: 200, result: null };
}

/** DELETE …/tags/{tag}: removes one tag (absent tags are fine). */
export async function deleteTag(context: HandlerContext): Promise<HandlerResult> {
  const script = scriptOf(context);
  const tag = tagParam(context);
  script.tags = script.tags.filter((item) => item !== tag);
  await context.persist();
  return { status: 200, result: null };
}
