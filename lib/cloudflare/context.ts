/** What every operation of the client shares, and the REST paths it calls. */

import type { ClientOptions } from 'cloudflare';
import { BaseAssetUpload } from 'cloudflare/resources/workers-for-platforms/dispatch/namespaces/scripts/asset-upload';
import { BaseScripts } from 'cloudflare/resources/workers-for-platforms/dispatch/namespaces/scripts/scripts';
import { BaseTags } from 'cloudflare/resources/workers-for-platforms/dispatch/namespaces/scripts/tags';
import { createClient } from 'cloudflare/tree-shakable';
import type { ResolvedClientOptions } from './options.js';
import type { Transport } from './transport.js';

/**
 * The SDK client with only the resources used here. The full `Cloudflare` class instantiates every
 * resource of the API, which keeps bundlers from dropping any: ~670 KB minified against ~32 KB.
 */
export const createSdk = (options: ClientOptions) =>
  createClient({ ...options, resources: [BaseAssetUpload, BaseScripts, BaseTags] });

export type Sdk = ReturnType<typeof createSdk>;

export interface ClientContext {
  sdk: Sdk;
  options: ResolvedClientOptions;
  transport: Transport;
}

const segment = encodeURIComponent;

/** Paths for the SDK's generic verbs (every segment percent-encoded, as the SDK's resources do). */
export const apiPaths = {
  namespaceScripts: (account: string, namespace: string): string =>
    `/accounts/${segment(account)}/workers/dispatch/namespaces/${segment(namespace)}/scripts`,
  script: (account: string, namespace: string, script: string): string =>
    `${apiPaths.namespaceScripts(account, namespace)}/${segment(script)}`,
  assetsUpload: (account: string): string => `/accounts/${segment(account)}/workers/assets/upload`,
};
