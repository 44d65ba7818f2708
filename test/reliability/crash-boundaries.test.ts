/**
 * Crash at every boundary: for each side effect of each handler, the handler is killed right after that
 * effect (every later port call of the invocation fails, as in a dead process), then the message is
 * redelivered, or set aside and replayed three hours later when its tokens have expired. The build must
 * still end deployed exactly once with a correct record; a closed tenant must be fully gone.
 *
 * The table is keyed by effect name. Clean runs of the scenarios record every effect the handlers have;
 * the first test fails when that set and the table's rows differ, so a new side effect cannot be added to
 * a handler without a row here.
 */
import { describe, expect, it } from 'vitest';
import type { DeployPointer, ResultRecord } from '../../lib/pipeline/records.js';
import type { TeardownAudit } from '../../lib/teardown/teardown.js';
import { CrashDriver, type Recovery } from './crash/driver.js';
import { SCENARIOS, type ScenarioName, type Target } from './crash/scenarios.js';

const SITE: ScenarioName = 'a site with assets (two buckets)';
const WORKER: ScenarioName = 'a Worker without assets (no upload session)';
const PRESENT: ScenarioName = 'every asset already uploaded (the session JWT is the completion token)';
const LOST: ScenarioName = 'the response carrying the completion token is lost';
const EXPIRED_COMPLETION: ScenarioName = 'the completion token expired before finalize ran';
const EXPIRED_UPLOAD: ScenarioName = 'the upload JWT expired before the buckets were sent';
const TEARDOWN: ScenarioName = 'a tenant is closed (teardown)';

/** Effect -> the scenario that reaches it. */
const CRASH_TABLE: Record<string, ScenarioName> = {
  'ingest: create claim': SITE,
  'ingest: write manifest': SITE,
  'ingest: cloudflare session opened': SITE,
  'ingest: write session plan': SITE,
  'ingest: enqueue upload': SITE,
  'ingest: write progress': SITE,
  'ingest: enqueue finalize (nothing-to-upload)': WORKER,
  'ingest: cloudflare session opened (nothing to upload)': PRESENT,
  'ingest: enqueue finalize (nothing-to-upload, with completion token)': PRESENT,
  'upload: cloudflare bucket uploaded (202)': SITE,
  'upload: write bucket done marker': SITE,
  'upload: cloudflare bucket uploaded (201, completion token received)': SITE,
  'upload: enqueue finalize (completed, with completion token)': SITE,
  'upload: cloudflare session opened (nothing to upload)': LOST,
  'upload: enqueue finalize (recovered, with completion token)': LOST,
  'upload: replace progress': LOST,
  'upload: cloudflare session opened': EXPIRED_UPLOAD,
  'upload: write session plan': EXPIRED_UPLOAD,
  'upload: enqueue upload': EXPIRED_UPLOAD,
  'finalize: take deploy lease': SITE,
  'finalize: cloudflare script PUT': SITE,
  'finalize: complete deploy pointer': SITE,
  'finalize: create result record': SITE,
  'finalize: release deploy lease': EXPIRED_COMPLETION,
  'finalize: cloudflare session opened (nothing to upload)': EXPIRED_COMPLETION,
  'finalize: enqueue finalize (recovered, with completion token)': EXPIRED_COMPLETION,
  'finalize: replace progress': EXPIRED_COMPLETION,
  'teardown: create tombstone': TEARDOWN,
  'teardown: cloudflare delete scripts by tag': TEARDOWN,
  'teardown: purge artifacts': TEARDOWN,
  'teardown: purge state builds/': TEARDOWN,
  'teardown: purge state scripts/': TEARDOWN,
  'teardown: purge state results/': TEARDOWN,
  'teardown: enqueue teardown (teardown.sweep)': TEARDOWN,
  'teardown: write audit record': TEARDOWN,
};

/** Effects after which the PUT is legitimately sent again (same build, identical content). */
const REPEATS_THE_PUT = new Set(['finalize: cloudflare script PUT']);

const RECOVERIES: Recovery[] = ['redelivered', 'replayed after its tokens expired'];

async function runScenario(name: ScenarioName, crash?: { effect: string; recovery: Recovery }) {
  const scenario = SCENARIOS[name];
  const driver = new CrashDriver();
  if ('setup' in scenario) await scenario.setup(driver);
  if (crash !== undefined) {
    driver.injector.arm(crash.effect);
    driver.recovery = crash.recovery;
  }
  await scenario.act(driver);
  await driver.finish();
  return driver;
}

const putsOf = (driver: CrashDriver, t: Target) =>
  driver.harness.cf.deploys.filter((deploy) =>
    deploy.modules.some((module) =>
      Buffer.from(module.content).toString().includes(`// ${t.tenant}/${t.script}/${t.build}`),
    ),
  );

/** The build is deployed, once, with exactly its files and a correct record. */
function expectDeployed(driver: CrashDriver, t: Target, puts: number) {
  const { store, cf } = driver.harness;
  const record = store.read<ResultRecord>(`results/${t.tenant}/${t.script}/${t.build}.json`);
  const assets = Object.entries(t.files).filter(([path]) => path.startsWith('public/'));
  expect(record).toMatchObject({
    status: 'deployed',
    tenant: t.tenant,
    script: t.script,
    build: t.build,
    scriptName: `${t.tenant}--${t.script}`,
    tags: [`tenant-${t.tenant}`],
    counts: { assets: assets.length, modules: 1 },
  });
  expect(record?.error).toBeUndefined();
  expect(store.read<DeployPointer>(`scripts/${t.tenant}/${t.script}/deploy.json`)?.deployed?.build).toBe(
    t.build,
  );
  const live = cf.scripts.get(`ns/${t.tenant}--${t.script}`);
  expect(Buffer.from(live?.modules[0]?.content ?? '').toString()).toBe(t.files['worker.js']);
  expect(
    Object.fromEntries(Object.entries(live?.assets ?? {}).map(([path, a]) => [path, a.content.toString()])),
  ).toEqual(Object.fromEntries(assets.map(([path, content]) => [path.slice('public'.length), content])));
  const sent = putsOf(driver, t);
  expect(sent).toHaveLength(puts);
  // A repeated PUT carries the same Worker: only the completion token may differ.
  const bodies = sent.map((deploy) =>
    JSON.stringify({ ...deploy, metadata: { ...deploy.metadata, assets: {} } }),
  );
  expect(new Set(bodies).size).toBe(1);
}

/** Nothing of the tenant is left; the other tenant is untouched; the audit trail says what happened. */
function expectTenantGone(driver: CrashDriver, tenant: string, survivor: Target) {
  const { store, cf } = driver.harness;
  expect([...cf.scripts.keys()]).toEqual([`ns/${survivor.tenant}--${survivor.script}`]);
  for (const prefix of [`builds/${tenant}/`, `scripts/${tenant}/`, `results/${tenant}/`]) {
    expect(store.keys(prefix)).toEqual([]);
  }
  expect([...driver.artifactKeys].filter((key) => key.startsWith(`${tenant}/`))).toEqual([]);
  expect(store.read(`tombstones/${tenant}.json`)).toMatchObject({ tenant });
  const audits = store.keys(`teardown/${tenant}/`).map((key) => store.read<TeardownAudit>(key));
  expect(audits.some((audit) => audit?.type === 'tenant.closed')).toBe(true);
  expect(audits.some((audit) => audit?.type === 'teardown.sweep')).toBe(true);
  // Whichever pass crashed, the trail names every Worker the tenant had (listed before any delete).
  for (const audit of audits) {
    expect(audit?.workers.atClosure).toEqual([`${tenant}--api`, `${tenant}--site`]);
  }
  expectDeployed(driver, survivor, 1);
}

describe('crash at every boundary', () => {
  it('has one row per side effect the handlers have (a new effect without a row fails here)', async () => {
    const seen = new Set<string>();
    for (const name of Object.keys(SCENARIOS) as ScenarioName[]) {
      for (const effect of (await runScenario(name)).injector.seen) seen.add(effect);
    }

    expect([...seen].sort()).toEqual(Object.keys(CRASH_TABLE).sort());
  });

  it.each(Object.keys(SCENARIOS) as ScenarioName[])('ends as expected without a crash: %s', async (name) => {
    const driver = await runScenario(name);

    const { target } = SCENARIOS[name];
    if ('closedTenant' in target) expectTenantGone(driver, target.closedTenant, target.survivor);
    else expectDeployed(driver, target, 1);
  });

  describe.each(RECOVERIES)('then %s', (recovery) => {
    it.each(Object.entries(CRASH_TABLE))('crash right after "%s" (%s)', async (effect, name) => {
      const driver = await runScenario(name, { effect, recovery });

      expect(driver.injector.crashedAfter).toBe(effect);
      expect(driver.queued).toBe(0);
      expect(driver.dlq).toEqual([]);
      const { target } = SCENARIOS[name];
      if ('closedTenant' in target) expectTenantGone(driver, target.closedTenant, target.survivor);
      else expectDeployed(driver, target, REPEATS_THE_PUT.has(effect) ? 2 : 1);
    });
  });
});
