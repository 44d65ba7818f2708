/** The module parts of a script upload: types, sizes and the entry point named by the metadata. */
import { type ApiError, badRequest, CF_CODES } from '../api-error.js';
import type { MultipartPart } from '../multipart.js';
import type { StoredModule } from '../state.js';
import type { HandlerContext } from './context.js';

/** Module part types the API accepts (contract `files` description). */
const MODULE_TYPES = new Set([
  'application/javascript+module',
  'text/javascript+module',
  'application/javascript',
  'text/javascript',
  'text/x-python',
  'text/x-python-requirement',
  'application/wasm',
  'text/plain',
  'application/octet-stream',
  'application/source-map',
]);
const ES_MODULE_TYPES = new Set(['application/javascript+module', 'text/javascript+module']);
const SERVICE_WORKER_TYPES = new Set(['application/javascript', 'text/javascript']);

const invalid = (message: string): ApiError => badRequest(CF_CODES.validation, message);

/** The media type of a Content-Type value, lower-cased, without parameters. */
export const mediaType = (value: string | undefined): string | undefined =>
  value?.split(';')[0]?.trim().toLowerCase();

/** Checks every module part and the entry point; returns the modules to store. */
export function readModules(
  context: HandlerContext,
  parts: MultipartPart[],
  metadata: { main_module?: string; body_part?: string },
): Map<string, StoredModule> {
  const modules = new Map<string, StoredModule>();
  let bytes = 0;
  for (const part of parts) {
    if (part.name === 'metadata') continue;
    const type = mediaType(part.contentType);
    if (part.name === '') throw invalid('a module part has an empty name');
    if (modules.has(part.name)) throw invalid(`module ${JSON.stringify(part.name)} is sent twice`);
    if (type === undefined || !MODULE_TYPES.has(type))
      throw invalid(`module ${JSON.stringify(part.name)} has unsupported type ${type ?? '(none)'}`);
    bytes += part.data.length;
    modules.set(part.name, { contentType: part.contentType ?? type, content: Buffer.from(part.data) });
  }
  if (bytes > context.options.maxScriptBytes) {
    throw badRequest(
      CF_CODES.tooLarge,
      `the script is ${bytes} bytes; the limit is ${context.options.maxScriptBytes}`,
    );
  }
  const { main_module: main, body_part: body } = metadata;
  if (main !== undefined && body !== undefined) throw invalid('metadata sets both main_module and body_part');
  const entry = main ?? body;
  if (entry === undefined) {
    if (modules.size > 0) throw invalid('metadata must name the entry part in main_module or body_part');
    return modules;
  }
  const entryModule = modules.get(entry);
  if (entryModule === undefined)
    throw invalid(
      `${main === undefined ? 'body_part' : 'main_module'} ${JSON.stringify(entry)} names no part of the upload`,
    );
  const allowed = main === undefined ? SERVICE_WORKER_TYPES : ES_MODULE_TYPES;
  if (!allowed.has(mediaType(entryModule.contentType) ?? '')) {
    throw invalid(
      `the entry part ${JSON.stringify(entry)} has type ${entryModule.contentType}, which is not a ${main === undefined ? 'service worker' : 'module'} script type`,
    );
  }
  return modules;
}
