/** The `workers-drop` command line: dispatches to one module per command. */
import { processIo } from '../ops/command-io.js';
import { runDeployCommand } from './deploy.js';
import { runInspect } from './inspect.js';
import { runLocalCommand } from './local.js';
import { runReplayCommand } from './replay.js';
import { runStatusCommand } from './status.js';

const USAGE = `usage: workers-drop <command> [options]

commands:
  local      run the whole platform on this machine (npm start)
  deploy     upload a site or zip into the running local stack and wait for its result
  inspect    check a zipped build artifact before uploading it (--json for build systems)
  replay     list or move a stage's dead-letter queue back to its queue
  status     show a script's deployed build, recent builds, work in flight and DLQ messages
`;

/** Runs the CLI with `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'local':
      return runLocalCommand(argv.slice(1), processIo());
    case 'deploy':
      return runDeployCommand(argv.slice(1), processIo());
    case 'inspect':
      return runInspect(argv.slice(1), processIo());
    case 'replay':
      return runReplayCommand(argv.slice(1), processIo());
    case 'status':
      return runStatusCommand(argv.slice(1), processIo());
    default:
      console.error(USAGE);
      return 2;
  }
}
