import { describe, expect, it } from 'vitest';
import { createSemaphore } from '../../../lib/cloudflare/semaphore.js';

describe('createSemaphore', () => {
  it('grants up to its permits and queues the rest first come, first served', async () => {
    // Prepare
    const semaphore = createSemaphore(2);
    const order: number[] = [];
    const first = await semaphore.acquire();
    const second = await semaphore.acquire();

    // Act
    const waiting = [3, 4].map((n) =>
      semaphore.acquire().then((release) => {
        order.push(n);
        return release;
      }),
    );
    const queuedBefore = semaphore.waiting;
    first();
    const third = await waiting[0];
    second();
    const fourth = await waiting[1];

    // Assess
    expect(queuedBefore).toBe(2);
    expect(order).toEqual([3, 4]);
    expect(semaphore.inUse).toBe(2);
    third?.();
    fourth?.();
    expect(semaphore.inUse).toBe(0);
  });

  it('ignores a second release of the same permit', async () => {
    // Prepare
    const semaphore = createSemaphore(1);
    const release = await semaphore.acquire();

    // Act
    release();
    release();

    // Assess
    expect(semaphore.inUse).toBe(0);
    await semaphore.acquire();
    expect(semaphore.inUse).toBe(1);
  });
});
