// Unknown flags and commands, found before yargs reads the line: yargs would take `--frob MODEL` as the value of
// an unknown option and then complain that MODEL is missing. Here it is "Unknown argument: --frob", with the
// closest known name.

import { didYouMean } from './suggest.js';

type OptionTable = Readonly<Record<string, Readonly<Record<string, object>>>>;

const GLOBAL = ['help', 'version', 'color'];
const GLOBAL_WITH_VALUE = ['--color'];

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The message for the first unknown command or option of `argv`, or null when every word is known. */
export function unknownArgument(argv: readonly string[], table: OptionTable): string | null {
  const end = argv.indexOf('--');
  const words = end === -1 ? [...argv] : argv.slice(0, end);
  const commands = Object.keys(table).filter((c) => !c.includes(' '));
  // Words that are not options, skipping the value of a global option given before the command (`--color never`).
  const positionals = words.filter((w, i) => !w.startsWith('-') && !(i > 0 && GLOBAL_WITH_VALUE.includes(words[i - 1]!)));
  let command = positionals[0];
  if (command === undefined) return null; // yargs says a command is needed, or prints help
  if (!commands.includes(command)) return `Unknown command '${command}'${didYouMean(command, commands)}`;
  if (command === 'kernel' && positionals[1] !== undefined) {
    const sub = `kernel ${positionals[1]}`;
    if (!(sub in table)) return `Unknown command '${sub}'${didYouMean(sub, Object.keys(table).filter((c) => c.startsWith('kernel ')))}`;
    command = sub;
  }
  const options = table[command]!;
  const known = [...Object.keys(options), ...GLOBAL];
  const given = new Set<string>();
  for (const word of words) {
    if (!word.startsWith('--') || word === '--') continue;
    const name = kebab(word.slice(2).split('=')[0]!);
    if (known.includes(name)) {
      // An option that takes one value, given twice: yargs would pass both on as a list, and a report path that is
      // a list fails only after the whole check ran. (--shard and --swarm say so with their own code, M001.)
      const option: object | undefined = options[name];
      const single = option !== undefined && !('array' in option) && !('type' in option && option.type === 'boolean') && name !== 'shard' && name !== 'swarm';
      if (single && given.has(name)) return `--${name} is given twice: give it once`;
      given.add(name);
      continue;
    }
    const negated = name.startsWith('no-') ? name.slice(3) : null;
    const option = negated === null ? undefined : options[negated];
    if (option !== undefined && 'type' in option && option.type === 'boolean') continue;
    return `Unknown argument: --${name}${didYouMean(name, known, (w) => `'--${w}'`)}`;
  }
  return null;
}
