// `schedcheck parse` without the rest of the CLI: the command function alone, for tests that need a real
// process (exit code, stdout and stderr, a heap limit). Usage: run-parse.ts MODEL [--ir] [--set NAME=VALUE]...

import { parseCommand } from '../../src/cli/commands/parse.js';

const args = process.argv.slice(2);
const set: string[] = [];
for (let i = args.indexOf('--set'); i !== -1; i = args.indexOf('--set', i + 1)) set.push(args[i + 1]!);
process.exitCode = await parseCommand({ model: args[0]!, ir: args.includes('--ir'), set });
