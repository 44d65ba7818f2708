/** The `workers-drop` command line: dispatches to one module per command. */

const USAGE = `usage: workers-drop <command> [options]

commands:
  local      run the whole platform on this machine (npm start)
`;

/** Runs the CLI with `argv` (without the node and script paths) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'local':
      console.log('workers-drop local: not yet. Local mode arrives with the local-mode issue.');
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}
