#!/usr/bin/env node
// The workers-drop CLI. The sources are TypeScript; tsx loads them without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every Node 20 start that releases after January 2027 need Node 22; the versions
// are pinned in package-lock.json (README "Design decisions"), so the warning only adds noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
