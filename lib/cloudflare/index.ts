/** Public surface of `lib/cloudflare`. */
export { createCloudflareClient } from './client.js';
export { NO_CONTENT_TYPE } from './forms.js';
export { readJwtExpiry } from './jwt.js';
export { SCRIPT_REJECTED_CODES } from './map-error.js';
export {
  CLIENT_DEFAULTS,
  CLOUDFLARE_API_BASE_URL,
  type CloudflareClientOptions,
  type CloudflareOperation,
  type RetryInfo,
} from './options.js';
export { assertFilterTag, buildTagFilter } from './tag-filter.js';
export type * from './types.js';
