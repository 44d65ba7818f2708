/** The human output of `workers-drop replay`: the dry-run listing, the progress line and the summary. */
import type { ScanResult } from './dlq-scan.js';
import { formatDuration, formatTable, plural } from './format.js';
import type { ReplayProgress, ReplaySummary } from './replay.js';

/** Rows shown by a human dry run; `--json` has them all. */
export const MAX_LISTED_ROWS = 100;

function countByTenant(listing: ScanResult): string {
  const counts = new Map<string, number>();
  for (const entry of listing.entries) {
    const tenant = entry.info.tenant ?? entry.info.tag ?? '(unknown)';
    counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
  }
  return [...counts.entries()].map(([tenant, count]) => `${tenant} ${count}`).join(', ');
}

function renderListing(summary: ReplaySummary, listing: ScanResult): string {
  const filter = summary.tenant === undefined ? '' : ` of tenant ${summary.tenant}`;
  const lines = [
    `${summary.queue} DLQ ${summary.dlqUrl}`,
    `${plural(listing.matched, 'message')}${filter} (SQS counts ${listing.approximateCount} in the DLQ; scanned ${listing.scanned}${listing.complete ? '' : ', scan stopped early'}).`,
  ];
  if (listing.entries.length > 0) lines.push(`By tenant: ${countByTenant(listing)}`);
  if (listing.lastErrorsUnavailable !== undefined)
    lines.push(`Last errors unknown: ${listing.lastErrorsUnavailable}.`);
  const shown = listing.entries.slice(0, MAX_LISTED_ROWS);
  if (shown.length > 0) {
    const rows = shown.map((entry) => [
      formatDuration(entry.ageMs),
      entry.info.tenant ?? entry.info.tag ?? '-',
      entry.info.script ?? '-',
      entry.info.build ?? '-',
      entry.info.unreadable === undefined ? entry.info.stage : `unreadable body (${entry.info.unreadable})`,
      String(entry.receiveCount),
      entry.lastError?.code ?? '-',
    ]);
    lines.push(
      '',
      formatTable(['AGE', 'TENANT', 'SCRIPT', 'BUILD', 'STAGE', 'RECEIVES', 'LAST ERROR'], rows),
    );
  }
  if (listing.entries.length > shown.length) {
    lines.push(`(showing ${shown.length} of ${listing.entries.length}; --json lists them all)`);
  }
  lines.push('', 'Dry run: nothing was moved.');
  return lines.join('\n');
}

/** Renders the summary for a terminal. */
export function renderReplaySummary(summary: ReplaySummary): string {
  if (summary.listing !== undefined) return `${renderListing(summary, summary.listing)}\n`;
  const filter = [
    summary.tenant === undefined ? undefined : `tenant ${summary.tenant}`,
    summary.limit === undefined ? undefined : `limit ${summary.limit}`,
  ].filter((part) => part !== undefined);
  const how = summary.task === undefined ? 'receive, send, delete' : `move task ${summary.task.status}`;
  const lines = [
    `Moved ${plural(summary.moved, 'message')}${filter.length === 0 ? '' : ` (${filter.join(', ')})`} from ${summary.dlqUrl} back to ${summary.destinationUrl} (${how}, ${formatDuration(summary.durationMs)}).`,
    `DLQ: ${summary.before} before, about ${summary.after} now.`,
  ];
  if (summary.skipped > 0) lines.push(`${plural(summary.skipped, 'other message')} left in the DLQ.`);
  if (summary.failed > 0)
    lines.push(`${plural(summary.failed, 'message')} could not be sent and stay in the DLQ.`);
  if (summary.deleteFailed > 0) {
    lines.push(
      `${plural(summary.deleteFailed, 'message')} reached the queue but could not be deleted from the DLQ: ` +
        'they may be processed twice (the stages are idempotent).',
    );
  }
  if (summary.error !== undefined) lines.push(`Error: ${summary.error}`);
  if (summary.interrupted)
    lines.push('Interrupted: what is not moved stays in the DLQ; run the same command again to go on.');
  return `${lines.join('\n')}\n`;
}

/** The one-line progress display (written with `\r` on a terminal). */
export function renderReplayProgress(progress: ReplayProgress): string {
  if (progress.mode === 'dry-run') return `scanning: ${plural(progress.skipped, 'message')} seen`;
  if (progress.toMove !== undefined) return `move task: ${progress.moved} of about ${progress.toMove} moved`;
  return `moved ${progress.moved}, left ${progress.skipped}, failed ${progress.failed}`;
}
