/** Lambda: S3 notifications (via the ingest queue) -> validated manifest, upload session, bucket fan-out. */
import { readConfig } from '../lib/config.js';
import { buildDeps } from '../lib/deps.js';
import { createIngestHandler } from '../lib/handlers/stage-handlers.js';

export const handler = createIngestHandler(await buildDeps(readConfig(process.env), 'ingest'));
