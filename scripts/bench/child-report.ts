/** What the measured child processes are asked to do and what they print (one JSON line on stdout). */
import { readFileSync } from 'node:fs';
import type { ResultRecord } from '../../lib/pipeline/records.js';
import type { DeployMeasurement, StoredArtifact } from './deploy-runs.js';
import type { CloudflareTarget } from './stand-ins.js';

/** The spec file of a child run. */
export type ChildSpec =
  | { mode: 'in-process'; s3Endpoint: string; cloudflare: CloudflareTarget; artifacts: StoredArtifact[] }
  | { mode: 'local'; cloudflare: CloudflareTarget; builds: Array<{ key: string; zipPath: string }> }
  | { mode: 'fleet'; cloudflare: CloudflareTarget; builds: Array<{ key: string; zipPath: string }> };

/** The fleet's outcome: every result record and when the submission started and ended. */
export interface FleetReport {
  submittedAt: number;
  allSubmittedAt: number;
  results: ResultRecord[];
}

/** One line of JSON on stdout. */
export interface ChildReport {
  /** The kernel's RSS high-water mark of this process (VmHWM). */
  maxRssKiB: number;
  /** The same, just before the first deploy began (runtime + loaded code + clients). */
  baselineRssKiB: number;
  deploys: DeployMeasurement[];
  fleet?: FleetReport;
}

/**
 * This process's peak RSS in KiB: VmHWM from /proc. Not `process.resourceUsage().maxRSS`: Linux carries
 * the parent's high-water mark across fork and exec into ru_maxrss, so a child of a big parent would
 * report the parent's peak.
 */
export function peakRssKiB(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? process.resourceUsage().maxRSS : Number(match[1]);
}

/** Prints the report as the child's last stdout line. */
export function printChildReport(report: ChildReport): void {
  process.stdout.write(`${JSON.stringify(report)}\n`);
}
