/** The human output of `workers-drop status`: a header, then tables of builds, work in flight and DLQs. */
import type { ResultRecord } from '../pipeline/records.js';
import type { BuildInFlight } from './build-stage.js';
import { formatBytes, formatDuration, formatSince, formatTable, plural, printable } from './format.js';
import type { BuildStatus, ScriptStatus } from './status.js';

const codeOf = (record: ResultRecord): string =>
  record.error?.code ?? (record.supersededBy === undefined ? '-' : `by ${record.supersededBy}`);

function recentTable(status: ScriptStatus): string {
  const rows = status.recent.map((record) => [
    record.build,
    record.status,
    codeOf(record),
    record.recordedAt,
    formatDuration(record.durations?.ingestMs),
    formatDuration(record.durations?.uploadMs),
    formatDuration(record.durations?.finalizeMs),
    formatDuration(record.durations?.totalMs),
    record.counts === undefined ? '-' : `${record.counts.uploaded}/${record.counts.alreadyPresent}`,
  ]);
  const title = `Recent builds (${status.recent.length} of ${status.totalResults}, newest first)`;
  if (rows.length === 0) return `${title}\n  none`;
  const headers = [
    'BUILD',
    'STATUS',
    'CODE',
    'RECORDED',
    'INGEST',
    'UPLOAD',
    'FINALIZE',
    'TOTAL',
    'UPLOADED/PRESENT',
  ];
  return `${title}\n${formatTable(headers, rows)}`;
}

const lastFailure = (item: BuildInFlight): string => {
  const newest = [...item.failures].sort((a, b) => b.failedAt.localeCompare(a.failedAt))[0];
  return newest === undefined ? '-' : `${newest.error.code} (${newest.queue})`;
};

function inFlightTable(status: ScriptStatus, now: Date): string {
  const title = `In flight (${status.inFlightTotal})`;
  if (status.inFlight.length === 0) return `${title}\n  none`;
  const rows = status.inFlight.map((item) => [
    item.build,
    item.stage,
    item.detail,
    item.sessionId ?? '-',
    formatSince(item.claimedAt, now),
    lastFailure(item),
  ]);
  return `${title}\n${formatTable(['BUILD', 'STAGE', 'DETAIL', 'SESSION', 'SINCE', 'LAST FAILURE'], rows)}`;
}

function dlqTable(status: ScriptStatus): string {
  const { dlq } = status;
  if (!dlq.checked) return `Dead-letter queues: not checked (${dlq.reason ?? 'unknown'})`;
  const partial = dlq.reason === undefined ? '' : ` (not checked: ${dlq.reason})`;
  const scope = status.build === undefined ? '' : ` of build ${status.build.build}`;
  const title = `Dead-letter queues${scope}: ${plural(dlq.messages.length, 'message')}${partial}`;
  if (dlq.messages.length === 0) return title;
  const rows = dlq.messages.map((entry) => [
    entry.info.queue,
    entry.info.build ?? '-',
    entry.info.stage,
    formatDuration(entry.ageMs),
    String(entry.receiveCount),
    entry.lastError?.code ?? '-',
  ]);
  return `${title}\n${formatTable(['QUEUE', 'BUILD', 'STAGE', 'AGE', 'RECEIVES', 'LAST ERROR'], rows)}`;
}

function resultLines(record: ResultRecord): string[] {
  const lines = [`  Recorded:   ${record.recordedAt}`];
  if (record.error !== undefined) {
    lines.push(`  Code:       ${record.error.code} (${record.error.category})`);
    lines.push(`  Message:    ${printable(record.error.message)}`);
    if (record.error.entry !== undefined) lines.push(`  Entry:      ${printable(record.error.entry)}`);
  }
  if (record.supersededBy !== undefined) lines.push(`  Superseded by: ${record.supersededBy}`);
  const a = record.artifact;
  lines.push(`  Artifact:   s3://${a.bucket}/${printable(a.key)} (etag ${a.etag}, ${formatBytes(a.size)})`);
  const d = record.durations;
  if (d !== undefined) {
    lines.push(
      `  Durations:  ingest ${formatDuration(d.ingestMs)}, upload ${formatDuration(d.uploadMs)}, ` +
        `finalize ${formatDuration(d.finalizeMs)}, total ${formatDuration(d.totalMs)}`,
    );
  }
  const c = record.counts;
  if (c !== undefined) {
    lines.push(
      `  Counts:     ${plural(c.files, 'file')}, ${plural(c.assets, 'asset')} (${c.uniqueAssets} unique): ` +
        `${c.uploaded} uploaded, ${c.alreadyPresent} already present; ${plural(c.modules, 'module')}; ` +
        `${plural(c.uploadSessions, 'upload session')}`,
    );
  }
  const b = record.bytes;
  if (b !== undefined) {
    lines.push(
      `  Bytes:      archive ${formatBytes(b.archive)}, assets ${formatBytes(b.assets)}, ` +
        `uploaded ${formatBytes(b.uploaded)}, modules ${formatBytes(b.modules)}`,
    );
  }
  if (record.tags !== undefined) lines.push(`  Tags:       ${record.tags.join(', ')}`);
  return lines;
}

function buildSection(status: ScriptStatus, build: BuildStatus): string {
  const name = `${status.tenant}/${status.script}/${build.build}`;
  if (!build.found) return `Build ${name}: not found`;
  const lines: string[] = [];
  if (build.result !== undefined) {
    lines.push(`Build ${name}: ${build.result.status}`, ...resultLines(build.result));
  } else if (build.inFlight !== undefined) {
    const item = build.inFlight;
    lines.push(`Build ${name}: in flight (${item.stage})`, `  Stage:      ${item.stage}: ${item.detail}`);
    if (item.sessionId !== undefined) {
      lines.push(`  Session:    ${item.sessionId} (${plural(item.sessions ?? 1, 'session')} opened)`);
    }
    if (item.claimedAt !== undefined)
      lines.push(`  Claimed:    ${item.claimedAt} (uploaded ${item.eventTime})`);
  } else {
    lines.push(`Build ${name}: only in a dead-letter queue`);
  }
  for (const note of build.inFlight?.failures ?? []) {
    lines.push(
      `  Failed (${note.queue}): ${note.error.code} at ${note.failedAt}: ${printable(note.error.message)}`,
    );
  }
  lines.push(`  Deployed:   ${build.isDeployed ? 'yes, the current build' : 'no'}`);
  if (build.holdsLease) lines.push('  Lease:      holds the deploy lease');
  return lines.join('\n');
}

/** Renders the status for a terminal. */
export function renderScriptStatus(status: ScriptStatus, now: Date): string {
  const header = [`${status.tenant}/${status.script}  (Cloudflare script ${status.scriptName})`];
  if (!status.found) header.push('Not found: no deploy, build, result or DLQ message for this script.');
  if (status.tenantClosedAt !== undefined) header.push(`Tenant closed: ${status.tenantClosedAt}`);
  header.push(
    status.deployed === undefined
      ? 'Deployed build: none'
      : `Deployed build: ${status.deployed.build}, deployed ${status.deployed.at} (uploaded ${status.deployed.eventTime})`,
  );
  if (status.lease !== undefined) {
    header.push(
      `Deploy lease:   ${status.lease.build} until ${status.lease.until} (${status.lease.expired ? 'expired' : 'active'})`,
    );
  }
  const sections = [header.join('\n')];
  if (status.build !== undefined) sections.push(buildSection(status, status.build));
  sections.push(recentTable(status), inFlightTable(status, now), dlqTable(status));
  return `${sections.join('\n\n')}\n`;
}
