/** The figures a fuzz run prints: merged over the child processes of one run, and formatted. */
import type { FuzzReport } from './fuzz-loop.js';
import { KNOWN_ISSUES } from './known-issues.js';

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
};

/** Adds `next` (a later child of the same run) into `total`. */
export function mergeReports(total: FuzzReport | undefined, next: FuzzReport): FuzzReport {
  if (total === undefined) return structuredClone(next);
  const merged = structuredClone(total);
  merged.inputs += next.inputs;
  merged.seconds = Math.round((merged.seconds + next.seconds) * 100) / 100;
  merged.perSecond = Math.round(merged.inputs / Math.max(0.001, merged.seconds));
  add(merged.outcomes, next.outcomes);
  add(merged.strategies, next.strategies);
  add(merged.known, next.known);
  merged.peakRssMiB = Math.max(merged.peakRssMiB, next.peakRssMiB);
  merged.peakHeapMiB = Math.max(merged.peakHeapMiB, next.peakHeapMiB);
  merged.peakExternalMiB = Math.max(merged.peakExternalMiB, next.peakExternalMiB);
  merged.maxReadFactor = Math.max(merged.maxReadFactor, next.maxReadFactor);
  if (next.slowest.ms > merged.slowest.ms) merged.slowest = next.slowest;
  if (next.finding !== undefined) merged.finding = next.finding;
  return merged;
}

const number = (value: number) => value.toLocaleString('en-US');
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key} ${number(count)}`)
    .join(', ');

/** The human-readable figures. */
export function formatReport(report: FuzzReport, rssLimitMiB: number): string {
  const lines = [
    `seed ${report.seed}: ${number(report.inputs)} inputs in ${report.seconds} s (${number(report.perSecond)}/s), iterations from ${report.firstIteration}`,
    `outcomes: ${list(report.outcomes)}`,
    `strategies: ${list(report.strategies)}`,
    `memory: peak RSS ${report.peakRssMiB} MiB (limit ${rssLimitMiB} MiB; baseline ${report.baselineRssMiB} MiB), peak heap ${report.peakHeapMiB} MiB, peak buffers ${report.peakExternalMiB} MiB`,
    `slowest input: ${report.slowest.ms} ms, iteration ${report.slowest.iteration} (${report.slowest.outcome}): ${report.slowest.label.slice(0, 160)}`,
    `source reads: at most ${report.maxReadFactor}x the archive size`,
  ];
  const known = Object.entries(report.known);
  if (known.length > 0) {
    lines.push('known issues hit (reported, not fixed here):');
    for (const [id, count] of known) {
      const summary = KNOWN_ISSUES.find((issue) => issue.id === id)?.summary ?? '';
      lines.push(`  ${id}: ${number(count)} inputs. ${summary}`);
    }
  }
  const { finding } = report;
  if (finding === undefined) {
    lines.push('result: no finding');
  } else {
    lines.push(
      `FINDING (${finding.problem.kind}) at seed ${finding.seed}, iteration ${finding.iteration}: ${finding.problem.detail}`,
      `  mutation: ${finding.label}`,
      `  input: ${finding.size} bytes${finding.file === undefined ? '' : `, saved to ${finding.file}`}`,
      `  replay: npm run fuzz -- ${finding.file === undefined ? '' : `--replay ${finding.file}  (or `}--seed ${finding.seed} --iteration ${finding.iteration}${finding.file === undefined ? '' : ')'}`,
    );
  }
  return lines.join('\n');
}
