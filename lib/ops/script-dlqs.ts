/** The DLQ part of `status`: one script's (or one build's) messages across the stage DLQs. */
import { readQueueDepth } from './dlq-messages.js';
import { scanDlq } from './dlq-scan.js';
import type { ScriptStatus, StatusOptions } from './status.js';

/** The script's messages in every DLQ of `options.dlq` (each DLQ scanned only when not empty). */
export async function readScriptDlqs(options: StatusOptions): Promise<ScriptStatus['dlq']> {
  const { sqs, pairs, tuning, unavailable } = options.dlq;
  if (pairs.length === 0) return { checked: false, reason: unavailable ?? 'no DLQ configured', messages: [] };
  const { tenant, script, build } = options;
  const scans = await Promise.all(
    pairs.map(async (pair) => {
      // An empty DLQ (the usual case) needs no scan; SQS's count lags by seconds at most.
      const depth = await readQueueDepth(sqs, pair.dlqUrl);
      if (depth.visible + depth.inFlight === 0) return [];
      const scan = await scanDlq({
        sqs,
        queue: pair.queue,
        dlqUrl: pair.dlqUrl,
        state: options.state,
        ...(options.now === undefined ? {} : { now: options.now }),
        ...(tuning === undefined ? {} : { tuning }),
        // A tenant's teardown concerns every script of the tenant.
        match: (info) =>
          info.tenant === tenant &&
          (info.queue === 'teardown' ? build === undefined : info.script === script) &&
          (build === undefined || info.build === build),
      });
      return scan.entries;
    }),
  );
  return {
    checked: true,
    ...(unavailable === undefined ? {} : { reason: unavailable }),
    messages: scans.flat(),
  };
}
