/** Lambda: one upload-queue record = one bucket of assets sent to Cloudflare. */
import { readConfig } from '../lib/config.js';
import { buildDeps } from '../lib/deps.js';
import { createUploadHandler } from '../lib/handlers/stage-handlers.js';

export const handler = createUploadHandler(await buildDeps(readConfig(process.env), 'upload'));
