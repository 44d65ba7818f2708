/**
 * The supervisor catches what a child cannot report: a synchronous hang (the heartbeat stops) and a
 * crash (an exit without a report); in both it knows which iteration was running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { superviseChild } from './supervisor.js';

let temp: string;
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'workers-drop-supervisor-'));
});
afterEach(() => {
  rmSync(temp, { recursive: true, force: true });
});

/** A child script: writes heartbeat `iteration` (the format of openHeartbeat), then does `then`. */
const childScript = (iteration: number, then: string) =>
  `const b = Buffer.alloc(8); b.writeDoubleLE(${iteration}); require('node:fs').writeFileSync(process.argv[1], b); ${then}`;

const run = (script: string) =>
  superviseChild({
    command: process.execPath,
    args: ['-e', script, join(temp, 'heartbeat')],
    heartbeatPath: join(temp, 'heartbeat'),
    hangMs: 400,
    cwd: temp,
  });

describe('the fuzz supervisor', () => {
  it('kills a child whose heartbeat stops and names the iteration it was on', async () => {
    // Act
    const result = await run(childScript(7, 'for (;;) {}'));
    // Assess
    expect(result).toMatchObject({ hung: true, lastIteration: 7, signal: 'SIGKILL' });
    expect(result.report).toBeUndefined();
  });

  it('reports a child that dies without a report as a crash at its last iteration', async () => {
    // Act
    const result = await run(childScript(3, 'process.exit(3)'));
    // Assess
    expect(result).toMatchObject({ hung: false, lastIteration: 3, code: 3 });
    expect(result.report).toBeUndefined();
  });

  it('returns the report a child sends', async () => {
    // Act
    const result = await run(
      childScript(9, "process.send({ type: 'report', report: { inputs: 9 } }, () => process.disconnect())"),
    );
    // Assess
    expect(result).toMatchObject({ hung: false, code: 0, report: { inputs: 9 } });
  });
});
