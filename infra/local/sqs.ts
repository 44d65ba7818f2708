/**
 * The local SQS stand-in: local-aws-sqs on 127.0.0.1 (real SQS wire protocol, redrive to DLQs after
 * `maxReceiveCount`, StartMessageMoveTask), with the pipeline's queue topology created on start.
 *
 * One fidelity fix sits in front of it: local-aws-sqs answers a long poll only when `MaxNumberOfMessages`
 * are gathered or the wait ends, and starts each message's visibility timeout when it picks it, so a slow
 * long poll can return a message twice in one response. Real SQS returns as soon as any message is
 * available. A small proxy turns each long poll into short polls until a message arrives or the wait
 * ends: it polls again as soon as a request through it may have made one of the queue's messages
 * receivable (a send, a visibility change, a redrive), and otherwise every 250 ms, which is how late a
 * message whose visibility timeout ran out (a retry) can be.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';

/** One source queue and its dead-letter queue. */
export interface QueuePair {
  url: string;
  arn: string;
  dlqUrl: string;
  dlqArn: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

/** What to create: source queue name -> its settings (the DLQ is `<name>-dlq`). */
export interface QueueSpec {
  name: string;
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
}

export interface LocalSqs {
  readonly endpoint: string;
  readonly queues: Record<string, QueuePair>;
  createClient(): SQSClient;
  /** ReceiveMessage requests the proxy has sent to local-aws-sqs (long polls become several). */
  readonly shortPolls: number;
  close(): Promise<void>;
}

/** An SQS client for a local endpoint with dummy credentials. */
export function createLocalSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function queueArn(client: SQSClient, url: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`local SQS did not report an ARN for ${url}`);
  return arn;
}

/** Creates a queue with its DLQ (14-day retention, as a DLQ should outlive its source's messages). */
export async function createQueuePair(client: SQSClient, spec: QueueSpec): Promise<QueuePair> {
  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: `${spec.name}-dlq`,
      Attributes: { MessageRetentionPeriod: '1209600' },
    }),
  );
  if (dlq.QueueUrl === undefined) throw new Error(`could not create ${spec.name}-dlq`);
  const dlqArn = await queueArn(client, dlq.QueueUrl);
  const source = await client.send(
    new CreateQueueCommand({
      QueueName: spec.name,
      Attributes: {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
      },
    }),
  );
  if (source.QueueUrl === undefined) throw new Error(`could not create ${spec.name}`);
  return {
    url: source.QueueUrl,
    arn: await queueArn(client, source.QueueUrl),
    dlqUrl: dlq.QueueUrl,
    dlqArn,
    maxReceiveCount: spec.maxReceiveCount,
    visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
  };
}

const readBody = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

interface Forwarded {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function forward(port: number, incoming: IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const headers = { ...incoming.headers, 'content-length': String(body.length) };
    const outgoing = request(
      { host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers },
      (response) => {
        readBody(response).then(
          (data) => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: data }),
          reject,
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const hasMessages = (result: Forwarded): boolean =>
  result.status === 200 && /"Messages"\s*:\s*\[\s*\{|<Message>/.test(result.body.toString('utf8'));

/**
 * The longest pause between two short polls of one long poll, when nothing through the proxy touched the
 * queue. Without a pause every waiting poller (local mode runs about a dozen) spins on local-aws-sqs as
 * fast as it answers, taking a core from the pipeline.
 */
export const SHORT_POLL_INTERVAL_MS = 250;

/** Requests after which a queue may have a receivable message at once. */
const WAKING_TARGETS = new Set([
  'AmazonSQS.SendMessage',
  'AmazonSQS.SendMessageBatch',
  'AmazonSQS.ChangeMessageVisibility',
  'AmazonSQS.ChangeMessageVisibilityBatch',
  'AmazonSQS.StartMessageMoveTask',
]);

/** The queue a JSON-protocol request names (the last segment of its QueueUrl), if any. */
function queueOf(body: Buffer): string | undefined {
  try {
    const url = (JSON.parse(body.toString('utf8') || '{}') as { QueueUrl?: unknown }).QueueUrl;
    return typeof url === 'string' ? url.slice(url.lastIndexOf('/') + 1) : undefined;
  } catch {
    return undefined;
  }
}

/** Per queue, a count of waking requests, and the long polls waiting for the next one. */
class Wakeups {
  private readonly counts = new Map<string, number>();
  /** Waking requests that may concern any queue (a redrive names ARNs, not one queue). */
  private all = 0;
  private readonly waiting = new Map<string, Set<() => void>>();

  count(queue: string): number {
    return (this.counts.get(queue) ?? 0) + this.all;
  }

  /** A waking request for `queue` passed (undefined: one that may concern any queue). */
  wake(queue: string | undefined): void {
    if (queue === undefined) this.all += 1;
    else this.counts.set(queue, (this.counts.get(queue) ?? 0) + 1);
    for (const name of queue === undefined ? [...this.waiting.keys()] : [queue]) {
      for (const resume of this.waiting.get(name) ?? []) resume();
    }
  }

  /** Resolves on the next waking request for `queue`, at once if one came after `seen`, or after `ms`. */
  wait(queue: string, seen: number, ms: number): Promise<void> {
    if (this.count(queue) !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.waiting.get(queue) ?? new Set<() => void>();
      this.waiting.set(queue, waiters);
      const resume = () => {
        clearTimeout(timer);
        waiters.delete(resume);
        if (waiters.size === 0 && this.waiting.get(queue) === waiters) this.waiting.delete(queue);
        resolve();
      };
      const timer = setTimeout(resume, ms);
      waiters.add(resume);
    });
  }
}

/** Forwards every request; a JSON-protocol ReceiveMessage long poll becomes a loop of short polls. */
async function proxy(
  port: number,
  incoming: IncomingMessage,
  body: Buffer,
  state: { shortPolls: number; wakeups: Wakeups },
): Promise<Forwarded> {
  const target = String(incoming.headers['x-amz-target'] ?? '');
  if (target !== 'AmazonSQS.ReceiveMessage') {
    const result = await forward(port, incoming, body);
    if (result.status === 200 && WAKING_TARGETS.has(target)) state.wakeups.wake(queueOf(body));
    return result;
  }
  const input = JSON.parse(body.toString('utf8') || '{}') as { WaitTimeSeconds?: number };
  const queue = queueOf(body) ?? '';
  const waitMs = (input.WaitTimeSeconds ?? 0) * 1000;
  const shortPoll = Buffer.from(JSON.stringify({ ...input, WaitTimeSeconds: 0 }));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const seen = state.wakeups.count(queue);
    state.shortPolls += 1;
    const result = await forward(port, incoming, shortPoll);
    const left = deadline - Date.now();
    if (hasMessages(result) || left <= 0) return result;
    await state.wakeups.wait(queue, seen, Math.min(SHORT_POLL_INTERVAL_MS, left));
  }
}

function startFrontServer(
  innerPort: number,
  port: number,
  state: { shortPolls: number; wakeups: Wakeups },
): Promise<Server> {
  const front = createServer((incoming, response) => {
    readBody(incoming)
      .then((body) => proxy(innerPort, incoming, body, state))
      .then((result) => {
        response.writeHead(result.status, {
          ...result.headers,
          'content-length': String(result.body.length),
        });
        response.end(result.body);
      })
      .catch(() => {
        response.writeHead(502);
        response.end();
      });
  });
  return new Promise((resolve) => front.listen(port, '127.0.0.1', () => resolve(front)));
}

const portOf = (server: Server): number => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('local SQS has no TCP address');
  return address.port;
};

const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

/** Starts local-aws-sqs and creates every queue of `specs` with its DLQ. */
export async function startLocalSqs(options: { queues: QueueSpec[]; port?: number }): Promise<LocalSqs> {
  const inner: Server = await createSqsServer({
    port: 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  const counts = { shortPolls: 0, wakeups: new Wakeups() };
  const front = await startFrontServer(portOf(inner), options.port ?? 0, counts);
  const endpoint = `http://127.0.0.1:${portOf(front)}`;
  const client = createLocalSqsClient(endpoint);
  const queues: Record<string, QueuePair> = {};
  for (const spec of options.queues) queues[spec.name] = await createQueuePair(client, spec);
  client.destroy();
  return {
    endpoint,
    queues,
    createClient: () => createLocalSqsClient(endpoint),
    get shortPolls() {
      return counts.shortPolls;
    },
    async close() {
      await closeServer(front);
      await closeServer(inner);
    },
  };
}
