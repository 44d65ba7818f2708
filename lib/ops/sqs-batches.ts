/**
 * The batch calls of the selective replay: SendMessageBatch in chunks SQS accepts (10 entries, 1 MiB in
 * total), and DeleteMessageBatch. Each reports per message what SQS confirmed, so the caller deletes only
 * what was sent.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SendMessageBatch accepts 1 MiB in total; stay below it with room for attributes. */
const MAX_BATCH_BYTES = 900 * 1024;

/** Splits messages into chunks whose bodies stay under the batch size limit. */
export function chunkBySize(messages: Message[]): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.Body ?? '');
    if (current.length > 0 && bytes + size > MAX_BATCH_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Sends a chunk; returns the messages SQS confirmed and those it refused. */
export async function sendChunk(sqs: SQSClient, url: string, chunk: Message[]) {
  const result = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: chunk.map((message, index) => ({
        Id: `m${index}`,
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes === undefined ? {} : { MessageAttributes: message.MessageAttributes }),
      })),
    }),
  );
  const ok = new Set((result.Successful ?? []).map((entry) => entry.Id));
  return {
    sent: chunk.filter((_, index) => ok.has(`m${index}`)),
    refused: chunk.filter((_, index) => !ok.has(`m${index}`)),
  };
}

/** Deletes messages from the DLQ; returns those whose delete failed. */
export async function deleteMessages(sqs: SQSClient, url: string, messages: Message[]): Promise<Message[]> {
  if (messages.length === 0) return [];
  try {
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.map((message, index) => ({
          Id: `m${index}`,
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
    const failed = new Set((result.Failed ?? []).map((entry) => entry.Id));
    return messages.filter((_, index) => failed.has(`m${index}`));
  } catch {
    return messages;
  }
}
