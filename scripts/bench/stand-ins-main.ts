/**
 * Child process of the benchmark, one per stand-in: `BENCH_ROLE=s3` runs s3rver (artifacts + state
 * buckets), `BENCH_ROLE=cloudflare` the Workers for Platforms emulator. Each has its own process (S3 and
 * Cloudflare are different services: the emulator's synchronous base64 decoding must not stall S3 reads),
 * and neither's CPU or memory counts as ours or the peer's. Driven over IPC by scripts/bench/stand-ins.ts.
 */
import { startCloudflareEmulator } from '../../infra/local/cloudflare/index.js';
import { startLocalS3 } from '../../infra/local/s3.js';
import { BENCH_ARTIFACTS_BUCKET, BENCH_STATE_BUCKET } from './pipeline-deps.js';
import type { StandInRequest, StandInsReady } from './stand-ins.js';

const namespace = process.env.BENCH_NAMESPACE ?? 'bench-ns';
const role = process.env.BENCH_ROLE;

const reply = (id: number, value: unknown) => process.send?.({ id, value });

if (role === 's3') {
  const s3 = await startLocalS3({ buckets: [BENCH_ARTIFACTS_BUCKET, BENCH_STATE_BUCKET] });
  process.on('message', (message: StandInRequest) => {
    if (message.type !== 'close') return;
    void s3.close().then(() => process.exit(0));
  });
  process.send?.({ type: 'ready', s3Endpoint: s3.endpoint } satisfies Partial<StandInsReady>);
} else {
  const emulator = await startCloudflareEmulator({
    namespaces: [namespace],
    onInternalError: (error) => console.error('emulator:', error),
  });
  process.on('message', (message: StandInRequest) => {
    switch (message.type) {
      case 'faults':
        emulator.faults.set(message.config);
        return reply(message.id, true);
      case 'reset-stats':
        emulator.resetStats();
        return reply(message.id, true);
      case 'stats':
        return reply(message.id, emulator.stats());
      case 'has-assets':
        return reply(
          message.id,
          message.hashes.filter((hash) => emulator.hasAsset(namespace, hash)),
        );
      case 'script':
        return reply(message.id, emulator.getScript(namespace, message.name) !== undefined);
      case 'close':
        void emulator.close().then(() => process.exit(0));
        return undefined;
      default:
        return undefined;
    }
  });
  const ready: Partial<StandInsReady> = {
    type: 'ready',
    cloudflare: { url: emulator.url, apiToken: emulator.apiToken, accountId: emulator.accountId, namespace },
  };
  process.send?.(ready);
}
