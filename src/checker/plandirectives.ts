// The directives of a verification plan (docs/gate.md): what gate.ts parses, and what the command line's
// diagnostics suggest for a misspelt one, without loading the checker.

/** Directives with one whole-number argument: a bound of the check, by its option's name. */
export const BOUND_DIRECTIVES = { 'max-states': 'maxStates', 'max-depth': 'maxDepth', 'max-memory': 'maxMemoryMb', timeout: 'timeoutSeconds' } as const;
/** Directives without an argument that switch on a reduction of the explicit engine. */
export const REDUCTION_DIRECTIVES = { 'hash-compaction': 'hashCompaction', symmetry: 'symmetry' } as const;
/** Every directive of a plan, in the order docs/gate.md and G101 list them. */
export const PLAN_DIRECTIVES: readonly string[] = ['model', 'config', 'learn-from', 'engine', ...Object.keys(BOUND_DIRECTIVES), ...Object.keys(REDUCTION_DIRECTIVES), 'expect'];
