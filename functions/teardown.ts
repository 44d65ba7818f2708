/** Lambda: account-closure and tag-delete messages -> Workers deleted by tag, tenant data purged, audit. */
import { readConfig } from '../lib/config.js';
import { buildDeps } from '../lib/deps.js';
import { createTeardownHandler } from '../lib/handlers/teardown-handler.js';

export const handler = createTeardownHandler(await buildDeps(readConfig(process.env), 'teardown'));
