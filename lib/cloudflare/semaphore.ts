/** A counting semaphore: caps how many requests one client has in flight. */

/** A permit holder: call the returned function exactly once to give the permit back. */
export interface Semaphore {
  acquire(): Promise<() => void>;
  readonly inUse: number;
  readonly waiting: number;
}

/** Creates a semaphore with `permits` permits; waiters are served first come, first served. */
export function createSemaphore(permits: number): Semaphore {
  let inUse = 0;
  const queue: Array<() => void> = [];
  const release = (): void => {
    const next = queue.shift();
    // Hand the permit straight to the next waiter, so a burst cannot overtake the queue.
    if (next === undefined) inUse -= 1;
    else next();
  };
  const once = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  };
  return {
    acquire() {
      if (inUse < permits) {
        inUse += 1;
        return Promise.resolve(once());
      }
      return new Promise((resolve) => queue.push(() => resolve(once())));
    },
    get inUse() {
      return inUse;
    },
    get waiting() {
      return queue.length;
    },
  };
}
