/**
 * Multipart bodies built by hand, because the SDK's own encoders are wrong for these two calls
 * (cloudflare-protocol.md §9): `scripts.update` flattens the metadata and forces a JavaScript content
 * type, and `assets.upload.create` drops each file's content type.
 */
import type { AssetFile, ScriptMetadata, ScriptModule } from './types.js';

/** Cloudflare's marker for "serve this asset without a Content-Type". */
export const NO_CONTENT_TYPE = 'application/null';

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * One bucket: a part per hash, named (and file-named) by the hash, whose body is the base64 text of
 * the file and whose Content-Type is the one Cloudflare will serve. A repeated hash is sent once.
 */
export function buildBucketForm(files: readonly AssetFile[]): FormData {
  const form = new FormData();
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.hash)) continue;
    seen.add(file.hash);
    const type = file.contentType === null || file.contentType === '' ? NO_CONTENT_TYPE : file.contentType;
    form.append(file.hash, new File([asBuffer(file.content).toString('base64')], file.hash, { type }));
  }
  return form;
}

/**
 * A script upload as wrangler sends it: a `metadata` part holding the JSON metadata, then one file part
 * per module named after the module (the name `main_module` refers to) with the module's content type.
 * An assets-only Worker has no module parts.
 */
export function buildScriptForm(modules: readonly ScriptModule[], metadata: ScriptMetadata): FormData {
  const form = new FormData();
  form.append('metadata', JSON.stringify(metadata));
  for (const module of modules) {
    form.append(module.name, new File([asBuffer(module.content)], module.name, { type: module.contentType }));
  }
  return form;
}
