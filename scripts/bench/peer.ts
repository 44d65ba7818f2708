/**
 * The peer: wrangler 4.86.0 (`wrangler deploy --dispatch-namespace <ns>`) against the same emulator,
 * configured the way the wire capture ran it (shared/contracts/wrangler-wire-capture.json): API base URL,
 * token and account from the environment, no metrics or error reports, CI mode.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runMeasured, type TreeRun } from './process-tree.js';
import type { CloudflareTarget } from './stand-ins.js';

const require = createRequire(import.meta.url);

/** The wrangler entry point, or undefined when it is not installed. */
export function findWrangler(): { bin: string; version: string } | undefined {
  try {
    const packageJson = require.resolve('wrangler/package.json');
    const { version } = require(packageJson) as { version: string };
    return { bin: join(packageJson, '..', 'bin', 'wrangler.js'), version };
  } catch {
    return undefined;
  }
}

/** Runs one `wrangler deploy` of the project in `projectDir`; throws when wrangler fails. */
export async function runWranglerDeploy(
  bin: string,
  projectDir: string,
  cloudflare: CloudflareTarget,
): Promise<TreeRun> {
  const run = await runMeasured(
    process.execPath,
    [bin, 'deploy', '--dispatch-namespace', cloudflare.namespace],
    {
      cwd: projectDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: projectDir,
        XDG_CONFIG_HOME: join(projectDir, '.config'),
        CLOUDFLARE_API_BASE_URL: cloudflare.url,
        CLOUDFLARE_API_TOKEN: cloudflare.apiToken,
        CLOUDFLARE_ACCOUNT_ID: cloudflare.accountId,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        WRANGLER_HIDE_BANNER: 'true',
        CI: 'true',
        NO_COLOR: '1',
      },
    },
  );
  if (run.exitCode !== 0) {
    throw new Error(
      `wrangler deploy exited with ${run.exitCode}: ${run.stderr.slice(-2000)}${run.stdout.slice(-2000)}`,
    );
  }
  return run;
}
