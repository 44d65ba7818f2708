/** Lambda: stale-build guard, script PUT into the dispatch namespace, result record. */
import { readConfig } from '../lib/config.js';
import { buildDeps } from '../lib/deps.js';
import { createFinalizeHandler } from '../lib/handlers/stage-handlers.js';

export const handler = createFinalizeHandler(await buildDeps(readConfig(process.env), 'finalize'));
