// Every diagnostic code, with a one-line meaning. docs/diagnostics.md documents each one with an example, and
// a test holds the two to agreement. Codes are stable: a retired code is never reused.
//   E0xx the pipeline itself, E1xx lexical, E2xx syntax, E3xx names, E4xx types and constants,
//   E5xx model structure and architecture, E6xx command line.

export const CODES = {
  E000: 'internal error in schedcheck (a bug: please report it)',
  E001: 'too many errors; the rest of the file was not checked',

  E101: 'unexpected character',
  E102: 'non-ASCII text outside a comment or string',
  E103: 'unterminated block comment',
  E104: 'unterminated string',
  E105: 'integer literal too large',

  E201: 'expected a declaration',
  E202: 'expected a particular token',
  E203: 'expected an expression',
  E204: 'expected a statement',
  E205: 'block never closed',
  E206: 'blocks or expressions nested too deeply',
  E207: 'expression too long',

  E301: 'unknown name',
  E302: 'name declared twice',
  E303: 'not a lock',
  E304: 'not a procedure',
  E305: 'unknown interrupt line',
  E306: 'unknown property',
  E307: 'not a type',
  E308: 'not a value',
  E309: 'not a variable',
  E310: 'not a wait queue',

  E401: 'type mismatch',
  E402: 'constant out of range',
  E403: 'not a constant expression',
  E404: 'division by a constant zero',
  E405: 'empty integer range',
  E406: 'constant arithmetic overflows',
  E407: '`@` on a variable that is neither percpu nor perthread',
  E408: 'array used without an index, or scalar indexed',
  E409: 'arithmetic whose range leaves the exactly computed integers',
  E410: 'index of a lock or run queue that could fail as it is evaluated',

  E501: 'not available on this architecture',
  E502: 'interrupt line without a handler',
  E503: 'interrupt line with more than one handler',
  E504: 'handler bound to no line',
  E505: 'CPU with no thread on it at boot',
  E506: 'CPU with more than one thread on it at boot',
  E507: 'CPU number out of range',
  E508: '`on each` on a thread that is not an array of one instance per CPU',
  E509: 'mutex or wait queue without a scheduler procedure',
  E510: 'property expected twice',
  E511: 'size, depth, priority or count below 1',
  E512: 'loop body takes no step',
  E513: '`break` or `continue` outside a loop',
  E514: '`self` outside a thread body',
  E515: '`current`, `cpu`, `self` or the state of the CPU in an invariant',
  E516: 'percpu or perthread variable without `@` in an invariant',
  E517: 'missing `machine` declaration',
  E518: 'declared or set more than once',
  E519: 'conflicting attributes',
  E520: 'model too large (state layout, counts, or text)',
  E521: 'interrupt vector out of range (16..255 with a local APIC)',

  E601: '`--set` of an unknown constant',
  E602: 'malformed `--set`',
  E603: 'model file cannot be read',
} as const;

export type Code = keyof typeof CODES;
