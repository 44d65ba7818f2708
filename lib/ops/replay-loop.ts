/**
 * A selective replay (one tenant, or at most N messages): receive from the DLQ, send to the source queue,
 * and delete from the DLQ only what SQS confirmed it received. Bodies and attributes are re-sent untouched
 * (sealed tokens expired long ago; the stages re-open sessions themselves).
 *
 * Safe to interrupt: the loop stops between pairs, so the in-flight send and its delete always finish;
 * messages received but not sent are made visible again at once. Messages not chosen (another tenant, past
 * the limit) stay hidden until the loop ends, so the loop can tell when it has seen everything, and are then
 * released. A message whose delete failed after its send is deleted when it comes back, never re-sent.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { receivePage, releaseMessages } from './dlq-messages.js';
import { describeMessage, type MessageInfo } from './message-info.js';
import { type QueuePair, toSqsError } from './queue-pair.js';
import { chunkBySize, deleteMessages, sendChunk } from './sqs-batches.js';

export interface LoopTuning {
  /** How long a received message stays hidden (the time to send and delete it). */
  visibilityTimeoutSeconds: number;
  waitTimeSeconds: number;
  emptyPassesToStop: number;
}

export const DEFAULT_LOOP_TUNING: LoopTuning = {
  visibilityTimeoutSeconds: 30,
  waitTimeSeconds: 1,
  // One empty long poll: every SQS server was asked (see lib/ops/dlq-scan.ts).
  emptyPassesToStop: 1,
};

export interface LoopProgress {
  moved: number;
  /** Messages seen and left in the DLQ (not chosen). */
  skipped: number;
  /** Messages SQS refused to take on the source queue (left in the DLQ). */
  failed: number;
}

export interface LoopOptions {
  sqs: SQSClient;
  pair: QueuePair;
  select: (info: MessageInfo) => boolean;
  limit?: number;
  signal?: AbortSignal;
  tuning?: Partial<LoopTuning>;
  /** Called after every send/delete pair. */
  onProgress?: (progress: LoopProgress) => void;
}

export interface LoopResult extends LoopProgress {
  interrupted: boolean;
  /** Sent but still in the DLQ after retries: they will be replayed twice (harmless, but reported). */
  deleteFailed: number;
  byTenant: Record<string, number>;
  /** Why the loop stopped early, when SQS failed. */
  error?: string;
}

interface LoopState {
  result: LoopResult;
  /** Seen and not moved: id -> newest receipt handle (hidden until the loop ends). */
  held: Map<string, string>;
  /** Sent, but the delete failed: deleted when they come back, never re-sent. */
  undeleted: Map<string, Message>;
}

const idOf = (message: Message): string => message.MessageId ?? '';

function hold(state: LoopState, message: Message): void {
  state.held.set(idOf(message), message.ReceiptHandle ?? '');
}

async function deleteAndTrack(options: LoopOptions, state: LoopState, messages: Message[]): Promise<void> {
  const failed = new Set((await deleteMessages(options.sqs, options.pair.dlqUrl, messages)).map(idOf));
  for (const message of messages) {
    if (failed.has(idOf(message))) state.undeleted.set(idOf(message), message);
    else state.undeleted.delete(idOf(message));
  }
}

/** Sends the chosen messages chunk by chunk, deleting each confirmed one; false when SQS failed. */
async function moveChosen(options: LoopOptions, state: LoopState, chosen: Message[]): Promise<boolean> {
  const { result } = state;
  for (const chunk of chunkBySize(chosen)) {
    let outcome: Awaited<ReturnType<typeof sendChunk>>;
    try {
      outcome = await sendChunk(options.sqs, options.pair.url, chunk);
    } catch (error) {
      // Unknown whether SQS took them: leave them in the DLQ (at worst replayed twice) and stop.
      for (const message of chunk) hold(state, message);
      result.failed += chunk.length;
      result.error = toSqsError(error, 'SendMessageBatch').message;
      return false;
    }
    for (const message of outcome.refused) hold(state, message);
    result.failed += outcome.refused.length;
    await deleteAndTrack(options, state, outcome.sent);
    result.moved += outcome.sent.length;
    for (const message of outcome.sent) {
      const tenant = describeMessage(options.pair.queue, message.Body ?? '').tenant ?? '(unknown)';
      // Own keys only: `constructor` is a valid tenant id, and Object.prototype answers to it too.
      const count = Object.hasOwn(result.byTenant, tenant) ? (result.byTenant[tenant] ?? 0) : 0;
      result.byTenant[tenant] = count + 1;
    }
    result.skipped = state.held.size - result.failed;
    options.onProgress?.({ moved: result.moved, skipped: result.skipped, failed: result.failed });
  }
  return true;
}

/** Sorts one received page; returns how many messages it brought that the loop had not seen. */
async function handlePage(
  options: LoopOptions,
  state: LoopState,
  page: Message[],
): Promise<{ fresh: number; ok: boolean }> {
  const { limit, signal } = options;
  const chosen: Message[] = [];
  const redelete: Message[] = [];
  let fresh = 0;
  for (const message of page) {
    if (state.undeleted.has(idOf(message))) {
      redelete.push(message);
      continue;
    }
    const seen = state.held.has(idOf(message));
    if (!seen) fresh += 1;
    const room = limit === undefined || state.result.moved + chosen.length < limit;
    const info = describeMessage(options.pair.queue, message.Body ?? '');
    if (seen || signal?.aborted || !room || !options.select(info)) hold(state, message);
    else chosen.push(message);
  }
  await deleteAndTrack(options, state, redelete);
  return { fresh, ok: await moveChosen(options, state, chosen) };
}

/** Moves the selected DLQ messages back to the source queue, pair by pair. */
export async function moveSelected(options: LoopOptions): Promise<LoopResult> {
  const { sqs, pair, signal, limit } = options;
  const tuning = { ...DEFAULT_LOOP_TUNING, ...options.tuning };
  const state: LoopState = {
    result: { moved: 0, skipped: 0, failed: 0, deleteFailed: 0, interrupted: false, byTenant: {} },
    held: new Map(),
    undeleted: new Map(),
  };
  const { result } = state;
  let emptyPasses = 0;
  try {
    while (emptyPasses < tuning.emptyPassesToStop && (limit === undefined || result.moved < limit)) {
      if (signal?.aborted) {
        result.interrupted = true;
        break;
      }
      const page = await receivePage(sqs, pair.dlqUrl, {
        max: limit === undefined ? 10 : limit - result.moved,
        visibilityTimeoutSeconds: tuning.visibilityTimeoutSeconds,
        waitTimeSeconds: tuning.waitTimeSeconds,
        withAttributes: true,
      });
      const { fresh, ok } = await handlePage(options, state, page);
      if (!ok) break;
      emptyPasses = fresh === 0 ? emptyPasses + 1 : 0;
    }
  } finally {
    // One more try for failed deletes; then hand everything not moved back to the DLQ at once.
    await deleteAndTrack(options, state, [...state.undeleted.values()]);
    result.deleteFailed = state.undeleted.size;
    await releaseMessages(sqs, pair.dlqUrl, [...state.held.values()]);
    result.skipped = Math.max(0, state.held.size - result.failed);
  }
  return result;
}
