/**
 * Failure notes: the stages cannot stamp anything on an SQS message, so when a record fails on its last
 * receive (ApproximateReceiveCount >= the queue's maxReceiveCount, after which SQS parks it in the DLQ),
 * the batch runner writes a small note to the state bucket. The replay dry run and `status` read it to show
 * the last error code of what waits in a DLQ. Keys follow what the message is about, not its message id,
 * so the note is found whatever id the DLQ copy carries:
 *
 * ```
 * builds/<tenant>/<script>/<build>/failures/<queue>.json   ingest, upload and finalize messages
 * failures/teardown/<tenant>.json                          tenant closures and their sweeps
 * failures/teardown/_tags/<tag>.json                       tag deletes
 * ```
 *
 * Build notes live under the build, so a tenant teardown purges them with the rest of the tenant's state.
 * A note holds identifiers and the error's public shape (code, category, a message that is safe to show,
 * redacted once more); never the body, so never a token.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ErrorCategory, ErrorCode, PipelineError } from '../errors.js';
import type { QueueName } from '../pipeline/ports.js';
import { redact } from '../redact.js';
import type { JsonStore } from '../state/json-store.js';
import { describeMessage, type MessageInfo } from './message-info.js';
import type { StateReader } from './state-reads.js';

/** The last failure of a message before SQS moved it to its DLQ. */
export interface FailureNote {
  v: 1;
  queue: QueueName;
  messageId: string;
  receiveCount: number;
  failedAt: string;
  tenant?: string;
  script?: string;
  build?: string;
  tag?: string;
  stage: string;
  error: { category: ErrorCategory; code: ErrorCode; message: string };
}

/** Where the note of a message lives; undefined when the message names nothing we can key it by. */
export function failureNoteKey(info: MessageInfo): string | undefined {
  if (info.tenant !== undefined && info.script !== undefined && info.build !== undefined) {
    return `builds/${info.tenant}/${info.script}/${info.build}/failures/${info.queue}.json`;
  }
  if (info.queue !== 'teardown') return undefined;
  if (info.tenant !== undefined) return `failures/teardown/${info.tenant}.json`;
  if (info.tag !== undefined) return `failures/teardown/_tags/${info.tag}.json`;
  return undefined;
}

/** What the batch runner needs to note final failures (wired in lib/deps.ts). */
export interface FinalFailures {
  /** Each queue's `maxReceiveCount` (infra/queues.ts), the receive after which SQS parks a message. */
  maxReceiveCount: Readonly<Record<QueueName, number>>;
  /** Writes the note; the batch runner swallows (and logs) its errors. */
  note(queue: QueueName, record: SQSRecord, error: PipelineError): Promise<void>;
}

/** Creates the note writer over the state bucket. */
export function createFailureNotes(options: {
  state: JsonStore;
  now: () => Date;
  maxReceiveCount: Readonly<Record<QueueName, number>>;
}): FinalFailures {
  return {
    maxReceiveCount: options.maxReceiveCount,
    async note(queue, record, error) {
      const info = describeMessage(queue, record.body);
      const key = failureNoteKey(info);
      if (key === undefined) return;
      const { category, code, message } = error.toJSON();
      const note: FailureNote = {
        v: 1,
        queue,
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount) || 0,
        failedAt: options.now().toISOString(),
        ...(info.tenant === undefined ? {} : { tenant: info.tenant }),
        ...(info.script === undefined ? {} : { script: info.script }),
        ...(info.build === undefined ? {} : { build: info.build }),
        ...(info.tag === undefined ? {} : { tag: info.tag }),
        stage: info.stage,
        error: { category, code, message: redact(message) },
      };
      await options.state.put(key, note);
    },
  };
}

/** Reads the note of a message, if one was written. */
export async function readFailureNote(
  state: Pick<StateReader, 'get'>,
  info: MessageInfo,
): Promise<FailureNote | undefined> {
  const key = failureNoteKey(info);
  return key === undefined ? undefined : state.get<FailureNote>(key);
}
