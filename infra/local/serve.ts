/**
 * Serves the Workers deployed into the local emulator through workerd (via Miniflare), with their static
 * assets, `_headers` and `_redirects`, the way Cloudflare would run them behind a dispatch Worker.
 *
 * Dispatch is by host name: `http://<tenant>--<script>.localhost:<port>/` (browsers and curl resolve every
 * `*.localhost` name to 127.0.0.1). `http://127.0.0.1:<port>/<tenant>/<script>/...` redirects there, and
 * `http://127.0.0.1:<port>/` lists what is deployed.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Miniflare, type WorkerOptions } from 'miniflare';

/** A deployed script as the emulator stores it. */
export interface ServedScript {
  name: string;
  metadata: Record<string, unknown>;
  modules: Map<string, { contentType: string; content: Buffer }>;
  assets: Map<string, { content: Buffer }>;
}

export interface SiteServer {
  readonly url: string;
  readonly port: number;
  /** The URL of one script. */
  urlOf(scriptName: string): string;
  /** Replaces the served scripts (after each deploy). */
  update(scripts: ServedScript[]): Promise<void>;
  close(): Promise<void>;
}

type ModuleType = 'ESModule' | 'CommonJS' | 'Text' | 'Data' | 'CompiledWasm';

const MODULE_TYPES: Record<string, ModuleType> = {
  'application/javascript+module': 'ESModule',
  'text/javascript+module': 'ESModule',
  'application/javascript': 'CommonJS',
  'text/javascript': 'CommonJS',
  'text/plain': 'Text',
  'application/octet-stream': 'Data',
  'application/wasm': 'CompiledWasm',
};

/** The dispatch Worker: host-based routing, path redirects, and an index of deployed Workers. */
const DISPATCHER = `
const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const routes = JSON.parse(env.ROUTES);
    const host = (request.headers.get('host') || url.host).split(':')[0].toLowerCase();
    if (host.endsWith('.localhost')) {
      const name = host.slice(0, -'.localhost'.length);
      if (routes[name]) return env[routes[name]].fetch(request);
      return new Response('No Worker named ' + name + ' is deployed here.\\n', { status: 404 });
    }
    const match = url.pathname.match(/^\\/([a-z0-9-]+)\\/([a-z0-9-]+)(\\/.*)?$/);
    if (match && routes[match[1] + '--' + match[2]]) {
      const target = url.protocol + '//' + match[1] + '--' + match[2] + '.localhost:' + url.port + (match[3] || '/') + url.search;
      return Response.redirect(target, 302);
    }
    const items = Object.keys(routes).sort().map((name) => {
      const [tenant, script] = name.split('--');
      const href = url.protocol + '//' + name + '.localhost:' + url.port + '/';
      return '<li><a href="' + escape(href) + '">' + escape(tenant + ' / ' + script) + '</a></li>';
    });
    const body = '<!doctype html><meta charset="utf-8"><title>workers-drop local</title>' +
      '<h1>Workers deployed locally</h1><ul>' + (items.join('') || '<li>none yet</li>') + '</ul>';
    return new Response(body, { status: url.pathname === '/' ? 200 : 404, headers: { 'content-type': 'text/html; charset=utf-8' } });
  },
};
`;

/** An assets-only Worker has no script of its own; its entry just serves the assets. */
const ASSETS_ONLY = 'export default { fetch: (request, env) => env.ASSETS.fetch(request) };';

const bindingName = (index: number) => `WORKER_${index}`;

function staticRouting(rules: string[]): { user_worker: string[]; asset_worker: string[] } {
  return {
    user_worker: rules.filter((rule) => !rule.startsWith('!')),
    asset_worker: rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1)),
  };
}

async function writeScriptFiles(root: string, script: ServedScript): Promise<string> {
  const directory = join(root, script.name);
  await rm(directory, { recursive: true, force: true });
  const assetsDir = join(directory, 'assets');
  await mkdir(assetsDir, { recursive: true });
  for (const [path, asset] of script.assets) {
    const file = join(assetsDir, ...path.split('/').filter((part) => part !== ''));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, asset.content);
  }
  const config = ((script.metadata.assets as { config?: Record<string, unknown> } | undefined)?.config ??
    {}) as Record<string, unknown>;
  if (typeof config._headers === 'string') await writeFile(join(assetsDir, '_headers'), config._headers);
  if (typeof config._redirects === 'string')
    await writeFile(join(assetsDir, '_redirects'), config._redirects);
  return assetsDir;
}

function toWorker(script: ServedScript, assetsDir: string, modulesRoot: string): WorkerOptions {
  const metadata = script.metadata as {
    main_module?: string;
    compatibility_date?: string;
    compatibility_flags?: string[];
    bindings?: Array<{ type: string; name: string; text?: string; json?: unknown }>;
    assets?: {
      config?: { html_handling?: string; not_found_handling?: string; run_worker_first?: boolean | string[] };
    };
  };
  const main = metadata.main_module;
  const modules = [...script.modules]
    .filter(([, module]) => MODULE_TYPES[module.contentType.split(';')[0] ?? ''] !== undefined)
    .sort(([a], [b]) => (a === main ? -1 : b === main ? 1 : 0))
    .map(([name, module]) => ({
      type: MODULE_TYPES[module.contentType.split(';')[0] ?? ''] as ModuleType,
      path: join(modulesRoot, name),
      contents: module.contentType.startsWith('text/plain')
        ? module.content.toString('utf8')
        : new Uint8Array(module.content),
    }));
  const hasWorker = modules.length > 0 && main !== undefined;
  const bindings: Record<string, unknown> = {};
  for (const binding of metadata.bindings ?? []) {
    if (binding.type === 'plain_text') bindings[binding.name] = binding.text ?? '';
    if (binding.type === 'json') bindings[binding.name] = binding.json;
  }
  const assetBinding = metadata.bindings?.find((binding) => binding.type === 'assets')?.name ?? 'ASSETS';
  const config = metadata.assets?.config ?? {};
  const runFirst = config.run_worker_first;
  return {
    name: script.name,
    compatibilityDate: metadata.compatibility_date ?? '2021-11-02',
    compatibilityFlags: metadata.compatibility_flags ?? [],
    modulesRoot,
    modules: hasWorker
      ? modules
      : [{ type: 'ESModule', path: join(modulesRoot, '__assets_only.js'), contents: ASSETS_ONLY }],
    bindings,
    assets: {
      directory: assetsDir,
      binding: assetBinding,
      routerConfig: {
        has_user_worker: hasWorker,
        ...(runFirst === true ? { invoke_user_worker_ahead_of_assets: true } : {}),
        ...(Array.isArray(runFirst) ? { static_routing: staticRouting(runFirst) } : {}),
      },
      assetConfig: {
        ...(config.html_handling === undefined ? {} : { html_handling: config.html_handling }),
        ...(config.not_found_handling === undefined ? {} : { not_found_handling: config.not_found_handling }),
      } as never,
    },
  } as WorkerOptions;
}

/** Starts the server on 127.0.0.1:`port` (0 picks a free port). */
export async function startSiteServer(options: { port: number; workDir: string }): Promise<SiteServer> {
  await mkdir(options.workDir, { recursive: true });
  const build = async (scripts: ServedScript[]) => {
    const routes: Record<string, string> = {};
    const serviceBindings: Record<string, string> = {};
    const workers: WorkerOptions[] = [];
    for (const [index, script] of scripts.entries()) {
      const assetsDir = await writeScriptFiles(options.workDir, script);
      workers.push(toWorker(script, assetsDir, join(options.workDir, script.name, 'modules')));
      routes[script.name] = bindingName(index);
      serviceBindings[bindingName(index)] = script.name;
    }
    const dispatcher: WorkerOptions = {
      name: 'dispatcher',
      modules: true,
      script: DISPATCHER,
      compatibilityDate: '2025-01-15',
      bindings: { ROUTES: JSON.stringify(routes) },
      serviceBindings,
    };
    // cf: false keeps Miniflare from fetching request.cf data from workers.cloudflare.com (loopback only).
    return { host: '127.0.0.1', port: options.port, cf: false, workers: [dispatcher, ...workers] };
  };
  let current = await build([]);
  const miniflare = new Miniflare(current);
  const url = await miniflare.ready;
  const port = Number(url.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    urlOf: (name) => `http://${name}.localhost:${port}/`,
    async update(scripts) {
      current = { ...(await build(scripts)), port };
      await miniflare.setOptions(current);
    },
    close: () => miniflare.dispose(),
  };
}
