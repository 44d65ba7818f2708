/**
 * Multipart bodies built by hand, because the SDK's own encoders are wrong for these two calls
 * (cloudflare-protocol.md §9): `scripts.update` flattens the metadata and forces a JavaScript content
 * type, and `assets.upload.create` drops each file's content type. Bucket uploads are encoded while they
 * are sent (./bucket-body.ts).
 */
import type { ScriptMetadata, ScriptModule } from './types.js';

/** Cloudflare's marker for "serve this asset without a Content-Type". */
export const NO_CONTENT_TYPE = 'application/null';

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

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
