/**
 * Samples the process's memory while the fuzzer runs: a short interval timer (the reader awaits often, so
 * it gets to run mid-input) plus a sample after every input. Peaks are kept with the iteration that was
 * running when they were seen.
 */

const MiB = 1024 * 1024;

export interface MemoryPeaks {
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  /** The iteration running when the RSS peak was sampled. */
  rssIteration: number;
}

export interface MemorySampler {
  /** Tells the sampler which iteration is running. */
  enter(iteration: number): void;
  /** Samples now; returns the RSS in MiB. */
  sample(): number;
  readonly peaks: MemoryPeaks;
  stop(): void;
}

/** Starts sampling every `intervalMs`. */
export function startMemorySampler(intervalMs = 5): MemorySampler {
  const peaks: MemoryPeaks = { rssMiB: 0, heapMiB: 0, externalMiB: 0, rssIteration: -1 };
  let current = -1;
  const sample = () => {
    const usage = process.memoryUsage();
    const rss = usage.rss / MiB;
    if (rss > peaks.rssMiB) {
      peaks.rssMiB = rss;
      peaks.rssIteration = current;
    }
    peaks.heapMiB = Math.max(peaks.heapMiB, usage.heapUsed / MiB);
    peaks.externalMiB = Math.max(peaks.externalMiB, (usage.external + usage.arrayBuffers) / MiB);
    return rss;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    enter(iteration) {
      current = iteration;
    },
    sample,
    peaks,
    stop() {
      clearInterval(timer);
    },
  };
}
