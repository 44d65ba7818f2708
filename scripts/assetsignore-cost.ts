/**
 * `node --import tsx scripts/assetsignore-cost.ts [--budget N] [--skip-archive]`: what matching
 * `.assetsignore` costs. Ordinary rule sets against 20,000 files (beside the `ignore` package Wrangler
 * uses, for scale), then hostile files built to make the matcher work as hard as the limits allow, each
 * reported as the time to a decision or to the `artifact.assetsignore-too-complex` refusal. `--budget`
 * replaces the budget for 20,000 files (to measure time per step past the limit). The last row reads a whole
 * hostile archive through readArtifact, as ingest would. Times are CPU times of this process (its
 * garbage collector's threads included). Figures go to README "Limits".
 */
import { parseArgs } from 'node:util';
import ignore from 'ignore';
import {
  MAX_ASSETSIGNORE_BYTES,
  MAX_ASSETSIGNORE_RULE_BYTES,
  MAX_ASSETSIGNORE_RULES,
} from '../lib/artifacts/limits.js';
import { readArtifact } from '../lib/artifacts/read-artifact.js';
import { openBufferSource } from '../lib/artifacts/sources/buffer-source.js';
import { assetsIgnoreBudget, compileAssetsIgnore } from '../lib/assets/assets-ignore.js';
import { findIgnored } from '../lib/assets/ignore-matcher.js';
import { isPipelineError } from '../lib/errors.js';
import { ordinaryIgnoreFile, ordinarySite } from '../test/helpers/ignore-workloads.js';
import { buildZip } from '../test/helpers/zip-writer.js';

const { values } = parseArgs({
  options: { budget: { type: 'string' }, 'skip-archive': { type: 'boolean', default: false } },
});
const FILES = 20_000;
const budget = values.budget === undefined ? assetsIgnoreBudget(FILES) : Number(values.budget);

/** `count` files each about 1,000 bytes deep, every folder its own (nothing shared between files). */
const deepFiles = (count: number, segment = 'a') =>
  Array.from(
    { length: count },
    (_, i) => `d${i}/${`${segment}/`.repeat((990 - String(i).length) / (segment.length + 1))}f`,
  );
/** `count` files of four segments of about 250 code units each. */
const longSegmentFiles = (count: number) =>
  Array.from({ length: count }, (_, i) => `d${i}/${`${'a'.repeat(250)}/`.repeat(3)}${'a'.repeat(240)}`);
/** `count` lines of `line(i)`, as many as fit the byte limit. */
const lines = (count: number, line: (i: number) => string) => {
  const out: string[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i += 1) {
    const next = line(i);
    bytes += Buffer.byteLength(next) + 1;
    if (bytes > MAX_ASSETSIGNORE_BYTES) break;
    out.push(next);
  }
  return out.join('\n');
};
/** `segment(j)` joined by `/` for as long as the rule stays within the byte limit. */
const longRule = (segment: (j: number) => string, tail = '') => {
  let rule = '';
  for (let j = 0; Buffer.byteLength(`${rule}/${segment(j)}${tail}`) <= MAX_ASSETSIGNORE_RULE_BYTES; j += 1) {
    rule = rule === '' ? segment(j) : `${rule}/${segment(j)}`;
  }
  return `${rule}${tail}`;
};
/** A bracket expression that matches `a` and `d`: one of many distinct ones. */
const notChar = (i: number) => `[!${String.fromCharCode(0x100 + (i % 20_000))}]`;

const HOSTILE: Array<[string, () => [string, string[]]]> = [
  [
    'fuzz reproducer: a/**/a/**/a/**/a/**/z, 1 path 130 deep (1.4 s with ignore)',
    () => ['a/**/a/**/a/**/a/**/z', [`${'a/'.repeat(130)}q.txt`]],
  ],
  [
    'k=6 globstars (the fuzz report: 85 s per path with ignore), 20,000 paths 500 deep',
    () => [
      'a/**/a/**/a/**/a/**/a/**/a/**/z',
      Array.from({ length: FILES }, (_, i) => `${'a/'.repeat(495)}q${i}.txt`),
    ],
  ],
  [
    '1,000 floating rules of distinct **-separated segments, 20,000 unique deep paths',
    () => [
      lines(MAX_ASSETSIGNORE_RULES, (i) => `**/${notChar(i)}*/**/${notChar(i + 1)}*/**/z${i}`),
      deepFiles(FILES),
    ],
  ],
  [
    'rules of 146 distinct wildcard segments, all alive, up to 64 KiB; 20,000 unique deep paths',
    () => [
      lines(MAX_ASSETSIGNORE_RULES, (i) => longRule((j) => `${notChar(i * 146 + j)}*`)),
      deepFiles(FILES),
    ],
  ],
  [
    'rules of one 1,000-unit star chain *a*a*..., up to 64 KiB; 20,000 paths of 250-unit segments',
    () => [lines(MAX_ASSETSIGNORE_RULES, (i) => `**/${'*a'.repeat(495)}*z${i}`), longSegmentFiles(FILES)],
  ],
  [
    'rules of one 170-bracket chain, up to 64 KiB; 20,000 paths of 250-unit segments',
    () => [
      lines(MAX_ASSETSIGNORE_RULES, (i) => `**/*${notChar(i).repeat(170)}*z${i}`),
      longSegmentFiles(FILES),
    ],
  ],
  [
    '1,000 distinct floating globs, 20,000 unique deep paths',
    () => [lines(MAX_ASSETSIGNORE_RULES, (i) => `*${i}*`), deepFiles(FILES)],
  ],
  [
    '1,000 copies of the literal rule a, 20,000 unique deep paths',
    () => [lines(MAX_ASSETSIGNORE_RULES, () => 'a'), deepFiles(FILES)],
  ],
];

/** Runs `work`; returns its result and the CPU time it took (wall time suffers from other processes). */
function time<T>(work: () => T): [T, number] {
  const started = process.cpuUsage();
  const result = work();
  const { user, system } = process.cpuUsage(started);
  return [result, (user + system) / 1000];
}

const format = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

function measure(label: string, text: string, paths: string[], withIgnore = false): void {
  const [rules, compileMs] = time(() => compileAssetsIgnore(text, '/public/.assetsignore'));
  const [decisions, ms] = time(() => findIgnored(rules, paths, budget));
  const outcome =
    decisions === undefined
      ? `refused after ${format(compileMs + ms)} (budget ${budget.toLocaleString('en-US')} steps)`
      : `decided in ${format(compileMs + ms)}, ${decisions.steps.toLocaleString('en-US')} steps, ` +
        `${decisions.ignored.filter(Boolean).length} ignored`;
  let reference = '';
  if (withIgnore) {
    const [, ignoreMs] = time(() => {
      const matcher = ignore().add(text.split(/\r?\n/));
      return paths.filter((path) => matcher.ignores(path)).length;
    });
    reference = `; the ignore package: ${format(ignoreMs)}`;
  }
  console.log(`${label}: ${outcome}${reference}`);
}

async function measureArchive(): Promise<void> {
  // Short paths: deep unique ones spend seconds in checkFileDirectoryClashes before matching begins.
  const label = '1,000 distinct floating globs, 20,000 files 3 deep';
  const text = lines(MAX_ASSETSIGNORE_RULES, (i) => `*${i}*`);
  const paths = Array.from({ length: FILES }, (_, i) => `s${i % 50}/t${i % 7}/file-${i}.txt`);
  const zip = buildZip([
    { name: 'worker.js', data: 'export default {}' },
    { name: 'public/.assetsignore', data: text },
    // Two entries besides the files: the archive stays within the default 20,000 files.
    ...paths.slice(2).map((path) => ({ name: `public/${path}`.slice(0, 1024), data: '' })),
  ]);
  const started = process.cpuUsage();
  let outcome = 'ok';
  try {
    await readArtifact(openBufferSource(zip), { tenant: 'acme' });
  } catch (error) {
    outcome = isPipelineError(error) ? error.code : String(error);
  }
  const { user, system } = process.cpuUsage(started);
  const ms = (user + system) / 1000;
  console.log(
    `readArtifact, ${label} (${(zip.length / 1e6).toFixed(1)} MB zip): ${outcome} in ${format(ms)}`,
  );
}

console.log(`Ordinary (${FILES.toLocaleString('en-US')} files of a site):`);
for (const count of [100, 1000]) {
  // Twice: the first run also warms the JIT up.
  for (let run = 0; run < 2; run += 1) {
    measure(
      `  ${count} rules${run === 0 ? ' (cold)' : ''}`,
      ordinaryIgnoreFile(count),
      ordinarySite(FILES),
      true,
    );
  }
}
console.log('Hostile (within the limits):');
for (const [label, make] of HOSTILE) {
  const [text, paths] = make();
  measure(`  ${label}`, text, paths);
}
if (!values['skip-archive']) await measureArchive();
