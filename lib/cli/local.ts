/**
 * `workers-drop local` (what `npm start` runs): the whole platform on this machine. It starts the
 * stand-ins, deploys the bundled example through the real pipeline, serves the deployed Workers through
 * workerd, and keeps running until Ctrl-C. With CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID and
 * DISPATCH_NAMESPACE set, it deploys to that real Cloudflare account instead of the emulator.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type LocalModeHandle, startLocalMode } from '../../infra/local/local-mode.js';
import type { RemoteCloudflare } from '../../infra/local/stack.js';
import type { CommandIo } from '../ops/command-io.js';

export const LOCAL_USAGE =
  'usage: workers-drop local [--port 8787] [--dir .local] [--fresh] [--no-example] [--once]';

const EXAMPLE_DIRECTORY = fileURLToPath(new URL('../../examples/site', import.meta.url));

/** The well-known ports, so `aws --endpoint-url` commands stay the same between runs (0 = any free port). */
const DEFAULT_PORTS = { site: 8787, s3: 8790, sqs: 8791, cloudflare: 8792 };

function remoteFrom(env: CommandIo['env']): RemoteCloudflare | undefined {
  const apiToken = env.CLOUDFLARE_API_TOKEN;
  const accountId = env.CLOUDFLARE_ACCOUNT_ID;
  const namespace = env.DISPATCH_NAMESPACE;
  if (apiToken === undefined || accountId === undefined || namespace === undefined) return undefined;
  const baseUrl = env.CLOUDFLARE_API_BASE_URL;
  return { apiToken, accountId, namespace, ...(baseUrl === undefined ? {} : { baseUrl }) };
}

const isAddressInUse = (error: unknown) => (error as { code?: unknown }).code === 'EADDRINUSE';

/** Runs local mode; resolves with the exit code after Ctrl-C (or at once with --once). */
export async function runLocalCommand(argv: string[], io: CommandIo): Promise<number> {
  let args: ReturnType<typeof parseLocalArgs>;
  try {
    args = parseLocalArgs(argv);
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${LOCAL_USAGE}\n`);
    return 2;
  }
  const port = Number(args.port ?? DEFAULT_PORTS.site);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`--port must be a port number\n${LOCAL_USAGE}\n`);
    return 2;
  }
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const remote = remoteFrom(io.env);
  print('workers-drop local: drop a zip, get a Worker, on this machine.\n');
  if (remote !== undefined)
    print(`  Using the real Cloudflare API: account ${remote.accountId}, namespace ${remote.namespace}.`);
  const start = (ports: typeof DEFAULT_PORTS) =>
    startLocalMode({
      dir: args.dir ?? `${io.cwd}/.local`,
      port: ports.site,
      s3Port: ports.s3,
      sqsPort: ports.sqs,
      cloudflarePort: ports.cloudflare,
      fresh: args.fresh === true,
      ...(args['no-example'] === true
        ? {}
        : { example: { directory: EXAMPLE_DIRECTORY, tenant: 'demo', script: 'hello' } }),
      ...(remote === undefined ? {} : { remote }),
      print,
    });
  let handle: LocalModeHandle;
  try {
    handle = await start(
      port === 0 ? { site: 0, s3: 0, sqs: 0, cloudflare: 0 } : { ...DEFAULT_PORTS, site: port },
    );
  } catch (error) {
    if (!isAddressInUse(error)) throw error;
    print('  (a default port is taken; using free ports instead)');
    handle = await start({ site: port, s3: 0, sqs: 0, cloudflare: 0 });
  }
  printServing(handle, print);
  if (args.once === true) {
    await handle.stop();
    return handle.exampleResult === undefined || handle.exampleResult.status === 'deployed' ? 0 : 1;
  }
  print('\nRunning. Ctrl-C stops everything.');
  await new Promise<void>((resolve) => {
    const unsubscribe = io.onInterrupt?.(() => {
      unsubscribe?.();
      resolve();
    });
  });
  print('\nStopping...');
  await handle.stop();
  print('Stopped.');
  return 0;
}

function parseLocalArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      dir: { type: 'string' },
      fresh: { type: 'boolean' },
      'no-example': { type: 'boolean' },
      once: { type: 'boolean' },
    },
  }).values;
}

function printServing(handle: LocalModeHandle, print: (line: string) => void): void {
  const { stack, server } = handle;
  const s3 = (stack.describe() as { s3Endpoint: string }).s3Endpoint;
  if (server !== undefined) {
    print(`\nServing the deployed Workers on ${server.url}/ (index of everything deployed)`);
    for (const name of stack.emulator?.listScripts(stack.config.cloudflare.namespace) ?? []) {
      const [tenant, script] = name.split('--');
      print(`  ${tenant}/${script}  ->  ${server.urlOf(name)}   (or ${server.url}/${tenant}/${script}/)`);
    }
  } else {
    print('\nDeployed to the real Cloudflare namespace; reach the Workers through your dispatch Worker.');
  }
  print('\nDeploy more from another terminal:');
  print('  npx workers-drop deploy <site directory or .zip> --tenant acme --script blog');
  print(
    `  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${s3} s3 cp build.zip s3://${stack.config.artifactsBucket}/acme/blog/b2.zip`,
  );
  print('  npx workers-drop status demo/hello');
}
