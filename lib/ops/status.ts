/**
 * `readScriptStatus`: the library behind `workers-drop status <tenant>/<script>[/<build>]`. It reads the
 * state bucket only (plus, when SQS is reachable, the DLQs through the dry-run scan): the deploy pointer,
 * the most recent result records, builds without a result (in flight), and that script's DLQ messages.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { PipelineError } from '../errors.js';
import { type BuildRef, cloudflareScriptName, parseArtifactKey } from '../pipeline/identity.js';
import { type DeployPointer, type ResultRecord, stateKeys } from '../pipeline/records.js';
import { type BuildInFlight, readBuildInFlight } from './build-stage.js';
import type { ScannedEntry, ScanTuning } from './dlq-scan.js';
import type { QueuePair } from './queue-pair.js';
import { readScriptDlqs } from './script-dlqs.js';
import type { StateReader } from './state-reads.js';

/** How many result records the overview shows by default. */
export const DEFAULT_RECENT_RESULTS = 10;
/** At most this many builds without a result are examined (a stuck script could have many). */
const MAX_IN_FLIGHT = 100;
const READ_CONCURRENCY = 8;

export interface StatusOptions {
  state: StateReader;
  tenant: string;
  script: string;
  build?: string;
  /** The DLQs to scan; `unavailable` says which could not be checked, and why. */
  dlq: { sqs: SQSClient; pairs: QueuePair[]; unavailable?: string; tuning?: Partial<ScanTuning> };
  recent?: number;
  now?: () => Date;
}

/** One DLQ message of the script. */
export type DlqItem = ScannedEntry;

/** What `status` prints; `--json` prints exactly this. */
export interface ScriptStatus {
  tenant: string;
  script: string;
  scriptName: string;
  found: boolean;
  tenantClosedAt?: string;
  deployed?: { build: string; at: string; eventTime: string };
  lease?: { build: string; until: string; expired: boolean };
  /** The newest result records (all fields of the record). */
  recent: ResultRecord[];
  totalResults: number;
  /** Builds without a result, newest claim first (at most 100 are examined). */
  inFlight: BuildInFlight[];
  inFlightTotal: number;
  /** `reason`: why the DLQs (or some of them) were not checked. */
  dlq: { checked: boolean; reason?: string; messages: DlqItem[] };
  /** With a build: that build in detail. */
  build?: BuildStatus;
}

export interface BuildStatus {
  build: string;
  found: boolean;
  result?: ResultRecord;
  inFlight?: BuildInFlight;
  isDeployed: boolean;
  holdsLease: boolean;
}

/** Validates `tenant/script[/build]` with the key layout's own rules; throws a `key.*` error. */
export function parseStatusTarget(target: string): Pick<BuildRef, 'tenant' | 'script'> & { build?: string } {
  const parts = target.split('/');
  const [tenant = '', script = '', build] = parts;
  if (parts.length < 2 || parts.length > 3) {
    throw new PipelineError(
      'key.bad-layout',
      `Expected <tenant>/<script> or <tenant>/<script>/<build> (got ${JSON.stringify(target.slice(0, 200))}).`,
    );
  }
  const ref = parseArtifactKey(`${tenant}/${script}/${build ?? 'x'}.zip`);
  return build === undefined ? { tenant: ref.tenant, script: ref.script } : ref;
}

async function mapLimit<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async () => {
    for (let index = next++; index < items.length; index = next++) out[index] = await work(items[index] as T);
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, run));
  return out;
}

/** Reads the status of a script (and of one build when `build` is given). */
export async function readScriptStatus(options: StatusOptions): Promise<ScriptStatus> {
  const { state, tenant, script, build } = options;
  const now = (options.now ?? (() => new Date()))();
  const ref = { tenant, script };
  const [pointer, tombstone, results, folders] = await Promise.all([
    state.get<DeployPointer>(stateKeys.deployPointer(ref)),
    state.get<{ closedAt?: string }>(stateKeys.tombstone(tenant)),
    state.list(stateKeys.resultsOfScript(ref)),
    state.folders(`builds/${tenant}/${script}/`),
  ]);
  const resultKeys = new Set(results.map((item) => item.key));
  const newest = [...results]
    .sort((a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0))
    .slice(0, options.recent ?? DEFAULT_RECENT_RESULTS);
  const recent = (await mapLimit(newest, (item) => state.get<ResultRecord>(item.key)))
    .filter((record): record is ResultRecord => record !== undefined)
    .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt));
  const unfinished = folders
    .map((folder) => folder.slice(`builds/${tenant}/${script}/`.length, -1))
    .filter((id) => !resultKeys.has(stateKeys.result({ ...ref, build: id })));
  const inFlight = (
    await mapLimit(unfinished.slice(0, MAX_IN_FLIGHT), (id) =>
      readBuildInFlight(state, { ...ref, build: id }, pointer, now, id === build),
    )
  ).sort((a, b) => (b.claimedAt ?? '').localeCompare(a.claimedAt ?? ''));
  const dlq = await readScriptDlqs(options);
  const status: ScriptStatus = {
    tenant,
    script,
    scriptName: cloudflareScriptName(ref),
    found: pointer !== undefined || results.length > 0 || folders.length > 0 || dlq.messages.length > 0,
    ...(tombstone === undefined ? {} : { tenantClosedAt: tombstone.closedAt ?? 'unknown' }),
    ...(pointer?.deployed === undefined
      ? {}
      : {
          deployed: {
            build: pointer.deployed.build,
            at: pointer.deployed.at,
            eventTime: pointer.deployed.order.eventTime,
          },
        }),
    ...(pointer?.lease === undefined
      ? {}
      : {
          lease: {
            build: pointer.lease.build,
            until: pointer.lease.until,
            expired: Date.parse(pointer.lease.until) <= now.getTime(),
          },
        }),
    recent,
    totalResults: results.length,
    inFlight,
    inFlightTotal: unfinished.length,
    dlq,
  };
  if (build !== undefined) status.build = await readBuildStatus(options, build, status, pointer, now);
  return status;
}

async function readBuildStatus(
  options: StatusOptions,
  build: string,
  status: ScriptStatus,
  pointer: DeployPointer | undefined,
  now: Date,
): Promise<BuildStatus> {
  const ref = { tenant: options.tenant, script: options.script, build };
  const result =
    status.recent.find((record) => record.build === build) ??
    (await options.state.get<ResultRecord>(stateKeys.result(ref)));
  const inFlight =
    result !== undefined
      ? undefined
      : (status.inFlight.find((item) => item.build === build) ??
        (await readBuildInFlight(options.state, ref, pointer, now, true)));
  const exists = inFlight !== undefined && (inFlight.claimedAt !== undefined || inFlight.failures.length > 0);
  return {
    build,
    found: result !== undefined || exists || status.dlq.messages.length > 0,
    ...(result === undefined ? {} : { result }),
    ...(inFlight === undefined || !exists ? {} : { inFlight }),
    isDeployed: pointer?.deployed?.build === build,
    holdsLease: pointer?.lease?.build === build,
  };
}
