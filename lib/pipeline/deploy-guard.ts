/**
 * The stale-build guard: newest build wins, race-free. Each script has one pointer document holding the
 * deployed build and the lease of the finalize in progress, changed only by compare-and-swap (`If-Match`),
 * so two finalizers can never both believe they may deploy:
 * - an older build than the deployed one, or than the build holding the lease, is superseded;
 * - a newer build waits while an older one holds an unexpired lease (it is retried later);
 * - an expired lease (its finalize crashed) can be taken over, by the same build or a newer one;
 * - each finalize invocation holds the lease under its own holder id, so two concurrent finalizes of the
 *   same build (duplicate messages) cannot both deploy: the second waits and then finds the build deployed.
 * The lease outlives the finalize function's timeout, so a lease can only expire after its holder is gone.
 *
 * A PUT the client abandoned (an attempt timed out, the connection was lost, a 5xx) may still be applied
 * by Cloudflare afterwards. Such a run leaves a fence up to its lease's end: other builds wait for it (or
 * are superseded when older), while the same build may deploy again, since its late PUT carries the
 * same content. Without it, an older build's late PUT could land after a newer build's deploy.
 *
 * A step may start from a pointer the caller already holds (read beside other calls, or the one its lease
 * wrote) instead of reading it again: the conditional write still decides, and a pointer that changed
 * meanwhile only costs the read that would have been made anyway.
 */
import { PipelineError } from '../errors.js';
import type { JsonStore, Versioned } from '../state/json-store.js';
import type { BuildRef } from './identity.js';
import { type BuildOrder, compareBuildOrder, type DeployPointer, stateKeys } from './records.js';

/** A pointer as the caller last saw it: the document and its ETag, or null when there was none. */
export type KnownPointer = Versioned<DeployPointer> | null;

export type LeaseOutcome =
  | { kind: 'acquired'; pointer: Versioned<DeployPointer> }
  | { kind: 'already-deployed' }
  | { kind: 'superseded'; by: string }
  | { kind: 'busy'; retryAfterMs: number; holder: string };

const MAX_CAS_ATTEMPTS = 5;

/** Runs `step` on the pointer until its write lands; returns its result and the pointer it wrote. */
async function casLoop<T>(
  store: JsonStore,
  key: string,
  step: (current: DeployPointer | undefined) => { write?: DeployPointer; result: T },
  known?: KnownPointer,
): Promise<{ result: T; written?: Versioned<DeployPointer> }> {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
    const current =
      attempt === 0 && known !== undefined ? (known ?? undefined) : await store.get<DeployPointer>(key);
    const { write, result } = step(current?.value);
    if (write === undefined) return { result };
    if (current === undefined) {
      const created = await store.create(key, write);
      if (created !== undefined) return { result, written: { value: write, etag: created.etag } };
      continue;
    }
    try {
      const { etag } = await store.replace(key, write, current.etag);
      return { result, written: { value: write, etag } };
    } catch (error) {
      if (!(error instanceof PipelineError && error.code === 'state.conflict')) throw error;
    }
  }
  throw new PipelineError('state.conflict', `The deploy pointer of ${key} kept changing; retrying later.`);
}

/**
 * Decides whether `build` may deploy now, and takes the lease for `holder` (one finalize run) if so; the
 * acquired outcome carries the pointer written, from which {@link completeDeploy} can start.
 */
export async function acquireDeployLease(
  store: JsonStore,
  ref: BuildRef,
  order: BuildOrder,
  now: Date,
  leaseSeconds: number,
  holder: string,
  options: { known?: KnownPointer } = {},
): Promise<LeaseOutcome> {
  const { result, written } = await casLoop(
    store,
    stateKeys.deployPointer(ref),
    (pointer): { write?: DeployPointer; result: LeaseOutcome | 'acquired' } => {
      const { deployed, lease } = pointer ?? { v: 1 };
      if (deployed?.build === ref.build) return { result: { kind: 'already-deployed' } };
      if (deployed !== undefined && compareBuildOrder(deployed.order, order) > 0) {
        return { result: { kind: 'superseded', by: deployed.build } };
      }
      if (lease !== undefined && lease.holder !== holder) {
        if (lease.build !== ref.build && compareBuildOrder(lease.order, order) > 0) {
          return { result: { kind: 'superseded', by: lease.build } };
        }
        const remaining = Date.parse(lease.until) - now.getTime();
        if (remaining > 0) return { result: { kind: 'busy', retryAfterMs: remaining, holder: lease.build } };
      }
      const fence = activeFence(pointer, now);
      if (fence !== undefined && fence.build !== ref.build) {
        if (compareBuildOrder(fence.order, order) > 0)
          return { result: { kind: 'superseded', by: fence.build } };
        const remaining = Date.parse(fence.until) - now.getTime();
        return { result: { kind: 'busy', retryAfterMs: remaining, holder: fence.build } };
      }
      const until = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
      return {
        write: {
          v: 1,
          ...(deployed === undefined ? {} : { deployed }),
          lease: { build: ref.build, order, until, holder },
          ...(fence === undefined ? {} : { fence }),
        },
        result: 'acquired',
      };
    },
    options.known,
  );
  if (result !== 'acquired') return result;
  if (written === undefined) throw new PipelineError('internal.unexpected', 'The lease was taken unwritten.');
  return { kind: 'acquired', pointer: written };
}

type Fence = NonNullable<DeployPointer['fence']>;
type Lease = NonNullable<DeployPointer['lease']>;

/** The pointer's fence while it is up. */
function activeFence(pointer: DeployPointer | undefined, now: Date): Fence | undefined {
  const fence = pointer?.fence;
  return fence !== undefined && Date.parse(fence.until) > now.getTime() ? fence : undefined;
}

/** A fence for `lease`'s build up to the lease's end, merged with a fence the same build already has. */
function fenceOf(lease: Lease, current: Fence | undefined): Fence {
  const until =
    current !== undefined && current.build === lease.build && current.until > lease.until
      ? current.until
      : lease.until;
  return { build: lease.build, order: lease.order, until };
}

/**
 * Records `build` as deployed and drops its lease; with `fence` (a PUT attempt was abandoned) it leaves
 * a fence up to the lease's end. Fails if another run took the lease meanwhile. `known` is the pointer
 * the lease wrote, when the caller has it.
 */
export async function completeDeploy(
  store: JsonStore,
  ref: BuildRef,
  order: BuildOrder,
  now: Date,
  holder: string,
  options: { fence?: boolean; known?: KnownPointer } = {},
): Promise<void> {
  await casLoop(
    store,
    stateKeys.deployPointer(ref),
    (pointer) => {
      if (pointer?.deployed?.build === ref.build && pointer.lease?.holder !== holder)
        return { result: undefined };
      const lease = pointer?.lease;
      if (lease?.holder !== holder) {
        throw new PipelineError(
          'state.conflict',
          `The deploy lease of ${ref.tenant}/${ref.script} was lost during the deploy.`,
        );
      }
      const current = activeFence(pointer, now);
      const fence = options.fence === true ? fenceOf(lease, current) : current;
      return {
        write: {
          v: 1,
          deployed: { build: ref.build, order, at: now.toISOString() },
          ...(fence === undefined ? {} : { fence }),
        },
        result: undefined,
      };
    },
    options.known,
  );
}

/**
 * Drops `holder`'s lease without deploying (it failed, or must wait for re-uploads); with `fence` (its
 * PUT may still land) it leaves a fence up to the lease's end.
 */
export async function releaseDeployLease(
  store: JsonStore,
  ref: BuildRef,
  holder: string,
  options: { fence?: boolean } = {},
): Promise<void> {
  await casLoop(store, stateKeys.deployPointer(ref), (pointer) => {
    const lease = pointer?.lease;
    if (lease?.holder !== holder) return { result: undefined };
    const fence = options.fence === true ? fenceOf(lease, pointer?.fence) : pointer?.fence;
    return {
      write: {
        v: 1,
        ...(pointer?.deployed === undefined ? {} : { deployed: pointer.deployed }),
        ...(fence === undefined ? {} : { fence }),
      },
      result: undefined,
    };
  });
}
