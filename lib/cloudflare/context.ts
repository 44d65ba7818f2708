/** What every operation of the client shares, and the REST paths it calls. */
import type Cloudflare from 'cloudflare';
import type { ResolvedClientOptions } from './options.js';
import type { Transport } from './transport.js';

export interface ClientContext {
  sdk: Cloudflare;
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
