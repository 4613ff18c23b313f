/** The end of a switch over a closed union: a new kind that is not handled fails to compile here. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
