import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalModeHandle, startLocalMode } from '../../infra/local/local-mode.js';
import { zipDirectory } from '../../infra/local/zip.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const example = join(root, 'examples', 'site');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET with an explicit Host header (fetch cannot set one), as a browser on *.localhost would send. */
const get = (port: number, host: string, path: string): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `${host}:${port}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });

const children = (): string[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.endsWith(' ps'));
  } catch {
    return [];
  }
};

describe('local mode (npm start) end to end', () => {
  let dir: string;
  let handle: LocalModeHandle;
  const printed: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workers-drop-local-'));
    handle = await startLocalMode({
      dir,
      port: 0,
      s3Port: 0,
      sqsPort: 0,
      cloudflarePort: 0,
      example: { directory: example, tenant: 'demo', script: 'hello' },
      print: (line) => printed.push(line),
    });
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys the example through the pipeline and serves it with content types, _headers and _redirects', async () => {
    const port = handle.server?.port ?? 0;

    const home = await get(port, 'demo--hello.localhost', '/');
    const css = await get(port, 'demo--hello.localhost', '/css/site.css');
    const old = await get(port, 'demo--hello.localhost', '/old-docs');
    const api = await get(port, 'demo--hello.localhost', '/api/hello');
    const ignored = await get(port, 'demo--hello.localhost', '/drafts/secret-plan.txt');
    const byPath = await get(port, '127.0.0.1', '/demo/hello/');

    expect(handle.exampleResult?.status).toBe('deployed');
    expect(printed.some((line) => line.includes('ingest') && line.includes('demo/hello/'))).toBe(true);
    expect(printed.some((line) => line.includes('bucket 1/1 sent'))).toBe(true);
    expect(home.status).toBe(200);
    expect(home.body).toContain('It works: this site was deployed from a zip.');
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(home.headers['x-deployed-by']).toBe('workers-drop');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=86400');
    expect(old.status).toBe(301);
    expect(old.headers.location).toBe('/docs/');
    expect(JSON.parse(api.body)).toMatchObject({
      greeting: 'Hello from a Worker deployed by workers-drop',
      path: '/api/hello',
    });
    expect(ignored.status).toBe(404);
    expect(byPath.status).toBe(302);
    expect(byPath.headers.location).toBe(`http://demo--hello.localhost:${port}/`);
  });

  it('serves the change after a second build is deployed', async () => {
    const copy = join(dir, 'site-v2');
    await cp(example, copy, { recursive: true });
    const index = join(copy, 'public', 'index.html');
    await writeFile(index, (await readFile(index, 'utf8')).replace('It works', 'Version two works'));

    const result = await handle.deploy(await zipDirectory(copy), 'demo', 'hello');
    const home = await get(handle.server?.port ?? 0, 'demo--hello.localhost', '/');

    expect(result.status).toBe('deployed');
    expect(result.counts?.alreadyPresent).toBeGreaterThan(0);
    expect(home.body).toContain('Version two works');
  });

  it('shuts down cleanly, leaving no process and no listening port', async () => {
    const port = handle.server?.port ?? 0;

    await handle.stop();

    await expect(get(port, 'demo--hello.localhost', '/')).rejects.toThrow();
    expect(children()).toEqual([]);
  });
});

describe('npm start on a clean machine', () => {
  it('needs nothing beyond npm install: no global tools and no network but loopback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'workers-drop-fresh-'));
    const report = join(dir, 'refused.txt');
    const nodeBin = dirname(process.execPath);
    const child = spawn('npm', ['start', '--', '--once', '--port', '0', '--dir', join(dir, 'state')], {
      cwd: root,
      env: {
        PATH: nodeBin,
        HOME: dir,
        npm_config_cache: join(dir, 'npm-cache'),
        NODE_OPTIONS: `--require ${join(root, 'test', 'helpers', 'loopback-only.cjs')}`,
        LOOPBACK_GUARD_REPORT: report,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });

    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const refused = await readFile(report, 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });

    expect(refused).toBe('');
    expect(output).toContain('deployed in');
    expect(code).toBe(0);
  }, 120_000);
});
