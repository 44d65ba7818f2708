/** Builds the script PUT's metadata and module parts from a stored manifest. */
import type { Binding, ScriptMetadata, ScriptModule } from '../cloudflare/types.js';
import type { BuildManifest } from './records.js';

/** The name of the assets binding, as Wrangler's default configuration has it. */
export const ASSETS_BINDING = 'ASSETS';

/** Vars become `plain_text` bindings (strings) or `json` bindings (other JSON values, if allowed at ingest). */
function varBindings(vars: Record<string, unknown>): Binding[] {
  return Object.entries(vars).map(([name, value]) =>
    typeof value === 'string'
      ? { type: 'plain_text', name, text: value }
      : { type: 'json', name, json: value },
  );
}

/** The metadata part: entry module, compatibility, bindings, tags and the assets completion token. */
export function buildScriptMetadata(
  manifest: BuildManifest,
  completionToken: string | undefined,
): ScriptMetadata {
  const { config } = manifest;
  const hasWorker = config.mainModule !== undefined && manifest.modules.length > 0;
  const hasAssets = manifest.assets.length > 0 && completionToken !== undefined;
  const bindings: Binding[] = hasWorker ? varBindings(config.vars) : [];
  if (hasWorker && hasAssets) bindings.push({ type: 'assets', name: config.assetsBinding ?? ASSETS_BINDING });
  return {
    ...(hasWorker ? { main_module: config.mainModule } : {}),
    ...(config.compatibilityDate === undefined ? {} : { compatibility_date: config.compatibilityDate }),
    ...(config.compatibilityFlags.length === 0 ? {} : { compatibility_flags: config.compatibilityFlags }),
    ...(bindings.length === 0 ? {} : { bindings }),
    tags: manifest.tags,
    ...(hasAssets ? { assets: { jwt: completionToken, config: config.assets } } : {}),
  };
}

/** Pairs the manifest's modules with their bytes. */
export function buildScriptModules(manifest: BuildManifest, contents: Buffer[]): ScriptModule[] {
  return manifest.modules.map((module, index) => ({
    name: module.name,
    contentType: module.contentType,
    content: contents[index] ?? Buffer.alloc(0),
  }));
}
