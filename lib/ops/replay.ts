/**
 * `replayQueue`: the library behind `workers-drop replay`, callable from tests and scripts.
 * - dry run: lists what waits in the DLQ (lib/ops/dlq-scan.ts) and moves nothing;
 * - everything: SQS's own move task (lib/ops/move-task.ts);
 * - one tenant, or at most N: a receive, send, delete loop (lib/ops/replay-loop.ts).
 * Bodies are never opened or changed: the sealed tokens in them have expired by replay time, and the
 * stages re-open upload sessions themselves.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../errors.js';
import { assertTenant } from '../pipeline/identity.js';
import type { QueueName } from '../pipeline/ports.js';
import { readQueueDepth } from './dlq-messages.js';
import { type ScanResult, type ScanTuning, scanDlq } from './dlq-scan.js';
import { type MoveTaskResult, runMoveTask } from './move-task.js';
import type { QueuePair } from './queue-pair.js';
import { type LoopTuning, moveSelected } from './replay-loop.js';
import type { StateReader } from './state-reads.js';

export type ReplayMode = 'dry-run' | 'move-task' | 'receive-send-delete';

export interface ReplayOptions {
  sqs: SQSClient;
  /** The source queue and its DLQ (lib/ops/queue-pair.ts). */
  pair: QueuePair;
  dryRun?: boolean;
  /** Only this tenant's messages. */
  tenant?: string;
  /** At most this many messages. */
  limit?: number;
  /** The state bucket (createStateReader): the dry run shows each message's last error code from it. */
  state?: Pick<StateReader, 'get'>;
  /** Stops the replay after the in-flight send/delete pair (or cancels the move task). */
  signal?: AbortSignal;
  onProgress?: (progress: ReplayProgress) => void;
  now?: () => Date;
  tuning?: {
    scan?: Partial<ScanTuning>;
    loop?: Partial<LoopTuning>;
    moveTask?: { pollIntervalMs?: number; maxMessagesPerSecond?: number };
  };
}

export interface ReplayProgress {
  mode: ReplayMode;
  moved: number;
  /** Seen and left in the DLQ (the loop), or scanned so far (dry run). */
  skipped: number;
  failed: number;
  /** The move task's estimate of what it has to move. */
  toMove?: number;
}

/** What a replay did; `--json` prints exactly this. */
export interface ReplaySummary {
  queue: QueueName;
  mode: ReplayMode;
  dlqUrl: string;
  destinationUrl: string;
  tenant?: string;
  limit?: number;
  /** DLQ depth (visible + in flight) before the replay. */
  before: number;
  /** DLQ depth after it (approximate: SQS counts lag a little). */
  after: number;
  moved: number;
  skipped: number;
  failed: number;
  deleteFailed: number;
  interrupted: boolean;
  /** True when nothing failed (and the move task, if any, completed). */
  ok: boolean;
  durationMs: number;
  /** Moved messages per tenant (the loop only; the move task does not report them). */
  byTenant?: Record<string, number>;
  task?: MoveTaskResult;
  /** The dry run's listing. */
  listing?: ScanResult;
  error?: string;
}

function validate(options: ReplayOptions): void {
  if (options.tenant !== undefined) assertTenant(options.tenant);
  const { limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new ConfigError(`The limit must be a positive integer (got ${limit}).`);
  }
}

const depthOf = async (options: ReplayOptions): Promise<number> => {
  const depth = await readQueueDepth(options.sqs, options.pair.dlqUrl);
  return depth.visible + depth.inFlight;
};

/** Replays (or, with `dryRun`, lists) the DLQ of `pair.queue`; returns the summary. */
export async function replayQueue(options: ReplayOptions): Promise<ReplaySummary> {
  validate(options);
  const { pair, tenant, limit } = options;
  const started = Date.now();
  const mode: ReplayMode = options.dryRun
    ? 'dry-run'
    : tenant === undefined && limit === undefined
      ? 'move-task'
      : 'receive-send-delete';
  const before = await depthOf(options);
  const base = {
    queue: pair.queue,
    mode,
    dlqUrl: pair.dlqUrl,
    destinationUrl: pair.url,
    ...(tenant === undefined ? {} : { tenant }),
    ...(limit === undefined ? {} : { limit }),
    before,
  };
  const finish = async (fields: Omit<ReplaySummary, keyof typeof base | 'after' | 'durationMs'>) => ({
    ...base,
    ...fields,
    after: mode === 'dry-run' ? before : await depthOf(options),
    durationMs: Date.now() - started,
  });

  if (mode === 'dry-run') {
    const listing = await scanDlq({
      sqs: options.sqs,
      queue: pair.queue,
      dlqUrl: pair.dlqUrl,
      ...(tenant === undefined ? {} : { match: (info) => info.tenant === tenant }),
      ...(limit === undefined ? {} : { limit }),
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.tuning?.scan === undefined ? {} : { tuning: options.tuning.scan }),
      onProgress: (scanned) => options.onProgress?.({ mode, moved: 0, skipped: scanned, failed: 0 }),
    });
    return finish({
      moved: 0,
      skipped: 0,
      failed: 0,
      deleteFailed: 0,
      interrupted: options.signal?.aborted === true,
      ok: true,
      listing,
    });
  }

  if (mode === 'move-task') {
    const task = await runMoveTask({
      sqs: options.sqs,
      pair,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...options.tuning?.moveTask,
      onProgress: (progress) =>
        options.onProgress?.({ mode, moved: progress.moved, skipped: 0, failed: 0, toMove: progress.toMove }),
    });
    return finish({
      moved: task.moved,
      skipped: 0,
      failed: 0,
      deleteFailed: 0,
      interrupted: task.cancelled,
      ok: task.status === 'COMPLETED' || task.status === 'NOTHING_TO_MOVE' || task.status === 'CANCELLED',
      task,
      ...(task.failureReason === undefined ? {} : { error: `The move task failed: ${task.failureReason}` }),
    });
  }

  const loop = await moveSelected({
    sqs: options.sqs,
    pair,
    select: (info) => tenant === undefined || info.tenant === tenant,
    ...(limit === undefined ? {} : { limit }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.tuning?.loop === undefined ? {} : { tuning: options.tuning.loop }),
    onProgress: (progress) => options.onProgress?.({ mode, ...progress }),
  });
  return finish({
    moved: loop.moved,
    skipped: loop.skipped,
    failed: loop.failed,
    deleteFailed: loop.deleteFailed,
    interrupted: loop.interrupted,
    ok: loop.failed === 0 && loop.deleteFailed === 0 && loop.error === undefined,
    byTenant: loop.byTenant,
    ...(loop.error === undefined ? {} : { error: loop.error }),
  });
}
