/**
 * Watching the emulator while the soak runs: every change of a Worker is compared, byte for byte, with
 * the build it claims to be (its BUILD var), and a change to an older build than one already seen is a
 * regression ("an older build overwrote a newer one"). Sampling every few milliseconds misses states
 * shorter than the interval, but never reports a false one; the final state is checked exactly.
 */
import type { EmulatedScript } from '../../../infra/local/cloudflare/index.js';
import type { SoakBuild } from './workload.js';

/** Why a Worker's content is not exactly `build`'s artifact; undefined when it is. */
export function diffWorker(script: EmulatedScript, build: SoakBuild): string | undefined {
  const names = [...script.modules.keys()].sort();
  const expectedNames = [...build.expected.modules.keys()].sort();
  if (names.join() !== expectedNames.join()) return `modules ${names.join()} != ${expectedNames.join()}`;
  for (const [name, content] of build.expected.modules) {
    if (!script.modules.get(name)?.content.equals(content)) return `module ${name} differs`;
  }
  const paths = [...script.assets.keys()].sort();
  const expectedPaths = [...build.expected.assets.keys()].sort();
  if (paths.join() !== expectedPaths.join()) return `assets ${paths.join()} != ${expectedPaths.join()}`;
  for (const [path, content] of build.expected.assets) {
    if (!script.assets.get(path)?.content.equals(content)) return `asset ${path} differs`;
  }
  return undefined;
}

/** The build a deployed Worker says it is (its plain-text BUILD var). */
export function buildVarOf(script: EmulatedScript): string | undefined {
  const bindings = script.metadata.bindings;
  if (!Array.isArray(bindings)) return undefined;
  for (const binding of bindings as Array<Record<string, unknown>>) {
    if (binding.type === 'plain_text' && binding.name === 'BUILD' && typeof binding.text === 'string')
      return binding.text;
  }
  return undefined;
}

export interface WorkerObservations {
  /** Distinct states seen. */
  changes: number;
  /** Contents that matched no artifact byte for byte. */
  mismatches: string[];
  /** Older builds seen after newer ones. */
  regressions: string[];
}

/** Polls `read` every `intervalMs` for each Worker name until stopped. */
export function observeWorkers(
  read: (scriptName: string) => EmulatedScript | undefined,
  builds: SoakBuild[],
  intervalMs = 20,
): { stop(): WorkerObservations; sample(): void } {
  const byScript = new Map<string, Map<string, SoakBuild>>();
  for (const build of builds) {
    const name = `${build.tenant}--${build.script}`;
    const map = byScript.get(name) ?? new Map<string, SoakBuild>();
    map.set(build.build, build);
    byScript.set(name, map);
  }
  const seen = new Map<string, { etag: string; sequence: number }>();
  const result: WorkerObservations = { changes: 0, mismatches: [], regressions: [] };
  const sample = () => {
    for (const [name, known] of byScript) {
      const script = read(name);
      if (script === undefined || seen.get(name)?.etag === script.etag) continue;
      result.changes += 1;
      const claimed = buildVarOf(script);
      const build = claimed === undefined ? undefined : known.get(claimed);
      if (build === undefined) {
        result.mismatches.push(`${name}: BUILD var ${String(claimed)} names no build`);
        seen.set(name, { etag: script.etag, sequence: seen.get(name)?.sequence ?? 0 });
        continue;
      }
      const diff = diffWorker(script, build);
      if (diff !== undefined) result.mismatches.push(`${name} as ${build.build}: ${diff}`);
      const previous = seen.get(name)?.sequence ?? 0;
      if (build.sequence < previous) {
        result.regressions.push(`${name}: ${build.build} replaced b${String(previous).padStart(3, '0')}`);
      }
      seen.set(name, { etag: script.etag, sequence: Math.max(previous, build.sequence) });
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return result;
    },
  };
}
