/**
 * Child process of the benchmark: s3rver (artifacts + state buckets) and the Cloudflare emulator, in their
 * own process so that neither their CPU nor their memory is counted as ours or the peer's. Driven over the
 * IPC channel by scripts/bench/stand-ins.ts.
 */

import { startCloudflareEmulator } from '../../infra/local/cloudflare/index.js';
import { startLocalS3 } from '../../infra/local/s3.js';
import { LOCAL_ARTIFACTS_BUCKET, LOCAL_STATE_BUCKET } from '../../infra/local/stack.js';
import type { StandInRequest, StandInsReady } from './stand-ins.js';

const namespace = process.env.BENCH_NAMESPACE ?? 'bench-ns';
const s3 = await startLocalS3({ buckets: [LOCAL_ARTIFACTS_BUCKET, LOCAL_STATE_BUCKET] });
const emulator = await startCloudflareEmulator({
  namespaces: [namespace],
  onInternalError: (error) => console.error('emulator:', error),
});

const reply = (id: number, value: unknown) => process.send?.({ id, value });

process.on('message', (message: StandInRequest) => {
  void (async () => {
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
        await emulator.close();
        await s3.close();
        reply(message.id, true);
        process.exit(0);
    }
  })();
});

const ready: StandInsReady = {
  type: 'ready',
  s3Endpoint: s3.endpoint,
  cloudflare: {
    url: emulator.url,
    apiToken: emulator.apiToken,
    accountId: emulator.accountId,
    namespace,
  },
};
process.send?.(ready);
