/**
 * Lists what waits in a DLQ without removing anything.
 *
 * Why not peek with VisibilityTimeout 0: SQS does not rotate what a receive returns, so a peek can return
 * the same ten messages on every pass (local-aws-sqs does exactly that; probe in the README), and a scan
 * that stops "when a pass brings nothing new" would stop after ten. Instead each received message is
 * hidden for `hideSeconds` so the next receive reaches further, every id is de-duplicated, the scan stops
 * after `emptyPassesToStop` receives that bring nothing new (long polls ask every SQS server, unlike short
 * polls, which sample some; so an empty answer means nothing visible is left),
 * and at the end every message is made visible again at once. Limits: while the scan runs (and at most
 * `hideSeconds` after a crash) the scanned messages are invisible to a concurrent replay; receiving counts
 * as a receive (harmless in a DLQ, which has no redrive of its own); at most `maxMessages` are listed, the
 * count beyond that comes from ApproximateNumberOfMessages.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { toPipelineError } from '../errors.js';
import type { QueueName } from '../pipeline/ports.js';
import { type DlqEntry, readQueueDepth, receivePage, releaseMessages, toDlqEntry } from './dlq-messages.js';
import { failureNoteKey, readFailureNote } from './failure-notes.js';
import type { MessageInfo } from './message-info.js';
import type { StateReader } from './state-reads.js';

export interface ScanTuning {
  /** How long a scanned message stays hidden while the scan goes on. */
  hideSeconds: number;
  /** Long-poll wait of each receive (0 in tests against the exact local stand-in). */
  waitTimeSeconds: number;
  /** Receives in a row that bring nothing new before the scan ends. */
  emptyPassesToStop: number;
  /** The most messages one scan lists. */
  maxMessages: number;
}

export const DEFAULT_SCAN_TUNING: ScanTuning = {
  hideSeconds: 60,
  waitTimeSeconds: 1,
  // A long poll asks every SQS server, so one empty answer means nothing is left to see.
  emptyPassesToStop: 1,
  maxMessages: 10_000,
};

/** The failure noted for a message before it was parked (lib/ops/failure-notes.ts). */
export interface LastError {
  code: string;
  category: string;
  message: string;
  failedAt: string;
}

export interface ScannedEntry extends DlqEntry {
  lastError?: LastError;
}

export interface ScanOptions {
  sqs: SQSClient;
  queue: QueueName;
  dlqUrl: string;
  /** Which messages to list; all when absent. */
  match?: (info: MessageInfo) => boolean;
  /** List at most this many matching messages (all are still counted). */
  limit?: number;
  /** The state bucket (read-only), for the last error code of each listed message. */
  state?: Pick<StateReader, 'get'>;
  now?: () => Date;
  signal?: AbortSignal;
  tuning?: Partial<ScanTuning>;
  /** Called after each receive with the number of distinct messages seen. */
  onProgress?: (scanned: number) => void;
}

export interface ScanResult {
  queue: QueueName;
  /** ApproximateNumberOfMessages (+ in flight) when the scan started. */
  approximateCount: number;
  /** Distinct messages the scan saw. */
  scanned: number;
  /** Of those, how many matched. */
  matched: number;
  /** Matching messages, oldest first, at most `limit`. */
  entries: ScannedEntry[];
  /** False when the scan stopped early (maxMessages reached, or interrupted). */
  complete: boolean;
  /** Why last error codes are missing, when they are: no state bucket, or it could not be read. */
  lastErrorsUnavailable?: string;
}

const NOTE_READ_CONCURRENCY = 8;

async function attachLastErrors(entries: ScannedEntry[], state: Pick<StateReader, 'get'>): Promise<void> {
  const byKey = new Map<string, ScannedEntry[]>();
  for (const entry of entries) {
    const key = failureNoteKey(entry.info);
    if (key !== undefined) byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  const groups = [...byKey.values()];
  const work = async (): Promise<void> => {
    for (let group = groups.shift(); group !== undefined; group = groups.shift()) {
      const [first] = group;
      if (first === undefined) continue;
      const note = await readFailureNote(state, first.info);
      if (note === undefined) continue;
      const lastError = { ...note.error, failedAt: note.failedAt };
      for (const entry of group) entry.lastError = lastError;
    }
  };
  await Promise.all(Array.from({ length: NOTE_READ_CONCURRENCY }, work));
}

const bySentAt = (a: DlqEntry, b: DlqEntry) => (a.sentAt ?? '').localeCompare(b.sentAt ?? '');

/** Scans the DLQ and lists (a filtered part of) it; every message is left in place. */
export async function scanDlq(options: ScanOptions): Promise<ScanResult> {
  const tuning = { ...DEFAULT_SCAN_TUNING, ...options.tuning };
  const now = options.now ?? (() => new Date());
  const depth = await readQueueDepth(options.sqs, options.dlqUrl);
  const handles = new Map<string, string>();
  const matched: ScannedEntry[] = [];
  let emptyPasses = 0;
  let complete = true;
  try {
    while (emptyPasses < tuning.emptyPassesToStop) {
      if (options.signal?.aborted || handles.size >= tuning.maxMessages) {
        complete = false;
        break;
      }
      const page = await receivePage(options.sqs, options.dlqUrl, {
        max: 10,
        visibilityTimeoutSeconds: tuning.hideSeconds,
        waitTimeSeconds: tuning.waitTimeSeconds,
      });
      let fresh = 0;
      for (const message of page) {
        const id = message.MessageId ?? '';
        if (!handles.has(id)) {
          fresh += 1;
          const entry = toDlqEntry(options.queue, message, now());
          if (options.match === undefined || options.match(entry.info)) matched.push(entry);
        }
        // Keep the newest handle: SQS accepts only the latest receipt of a message.
        handles.set(id, message.ReceiptHandle ?? '');
      }
      emptyPasses = fresh === 0 ? emptyPasses + 1 : 0;
      options.onProgress?.(handles.size);
    }
  } finally {
    await releaseMessages(options.sqs, options.dlqUrl, [...handles.values()]);
  }
  matched.sort(bySentAt);
  const entries = options.limit === undefined ? matched : matched.slice(0, options.limit);
  let lastErrorsUnavailable: string | undefined = 'no state bucket configured';
  if (options.state !== undefined) {
    try {
      await attachLastErrors(entries, options.state);
      lastErrorsUnavailable = undefined;
    } catch (error) {
      // The listing stands on its own; the codes are "when known".
      lastErrorsUnavailable = `the state bucket could not be read: ${toPipelineError(error).message}`;
    }
  }
  return {
    queue: options.queue,
    approximateCount: depth.visible + depth.inFlight,
    scanned: handles.size,
    matched: matched.length,
    entries,
    complete,
    ...(lastErrorsUnavailable === undefined ? {} : { lastErrorsUnavailable }),
  };
}
