/**
 * The scenarios of the crash table: together they reach every side effect of every handler (ingest,
 * upload, finalize, teardown) on each of its paths. Each names the build (or tenant) it is about.
 */
import type { SiteFiles } from '../../helpers/pipeline-harness.js';
import type { CrashDriver } from './driver.js';

export interface Target {
  tenant: string;
  script: string;
  build: string;
  files: SiteFiles;
}

export interface Scenario {
  /** Runs before the crash is armed (already-deployed builds, fake Cloudflare knobs). */
  setup?(driver: CrashDriver): Promise<void>;
  /** Submits the work under test (and may run part of it, e.g. to let tokens expire in between). */
  act(driver: CrashDriver): Promise<void>;
  /** The build that must end deployed; teardown scenarios name the closed tenant instead. */
  target: Target | { closedTenant: string; survivor: Target };
}

const TWO_HOURS = 2 * 3600 * 1000;

/** A Worker with four assets (two buckets of two); the marker makes each build's PUT recognisable. */
export const site = (tenant: string, script: string, build: string, assets = 'v1'): SiteFiles => ({
  'worker.js': `export default { fetch: (r, env) => env.ASSETS.fetch(r) }; // ${tenant}/${script}/${build}`,
  'public/index.html': `<h1>${script} ${assets}</h1>`,
  'public/about.html': `<h1>about ${assets}</h1>`,
  'public/style.css': `h1 { color: red } /* ${assets} */`,
  'public/notes.txt': `notes ${assets}`,
});

const target = (tenant: string, script: string, build: string, files?: SiteFiles): Target => ({
  tenant,
  script,
  build,
  files: files ?? site(tenant, script, build),
});

const submit = (driver: CrashDriver, t: Target) =>
  driver.upload(`${t.tenant}/${t.script}/${t.build}.zip`, t.files);

const withAssets = target('acme', 'site', 'b1');
const workerOnly = target('acme', 'api', 'b1', {
  'worker.js': 'export default { fetch: () => new Response("api") }; // acme/api/b1',
});
const sameAssets = target('acme', 'site', 'b2', site('acme', 'site', 'b2', 'v1'));

export const SCENARIOS = {
  'a site with assets (two buckets)': {
    target: withAssets,
    act: async (driver) => submit(driver, withAssets),
  },
  'a Worker without assets (no upload session)': {
    target: workerOnly,
    act: async (driver) => submit(driver, workerOnly),
  },
  'every asset already uploaded (the session JWT is the completion token)': {
    target: sameAssets,
    setup: async (driver) => {
      submit(driver, withAssets);
      await driver.drain();
    },
    act: async (driver) => submit(driver, sameAssets),
  },
  'the response carrying the completion token is lost': {
    target: withAssets,
    setup: async (driver) => {
      driver.harness.cf.loseCompletion = true;
    },
    act: async (driver) => submit(driver, withAssets),
  },
  'the completion token expired before finalize ran': {
    target: withAssets,
    act: async (driver) => {
      submit(driver, withAssets);
      await driver.drain(['ingest', 'upload']);
      driver.harness.clock.now += TWO_HOURS;
    },
  },
  'the upload JWT expired before the buckets were sent': {
    target: withAssets,
    act: async (driver) => {
      submit(driver, withAssets);
      await driver.drain(['ingest']);
      driver.harness.clock.now += TWO_HOURS;
    },
  },
  'a tenant is closed (teardown)': {
    target: { closedTenant: 'acme', survivor: target('globex', 'site', 'b1') },
    setup: async (driver) => {
      submit(driver, withAssets);
      submit(driver, workerOnly);
      submit(driver, target('globex', 'site', 'b1'));
      await driver.drain();
    },
    act: async (driver) => driver.closeTenant('acme'),
  },
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
