/** Helpers for tests that run the real handlers on the local stack. */
export { putArtifact, waitForResult } from '../../infra/local/artifacts.js';

/** Waits until `check` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
