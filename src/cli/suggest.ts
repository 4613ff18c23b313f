// "Did you mean": the closest of a few known words to a misspelt one, by edit distance.

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known word closest to `word`, when it is close enough to be a slip (a third of its length, at least 2). */
export function closest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean 'x'?`, or nothing. */
export function didYouMean(word: string, known: readonly string[], quote = (w: string) => `'${w}'`): string {
  const best = closest(word, known);
  return best === undefined ? '' : `; did you mean ${quote(best)}?`;
}

/** `'word'`, followed by ` (did you mean 'x'?)` when a known word is close. */
export function quotedWithGuess(word: string, known: readonly string[]): string {
  const best = closest(word, known);
  return best === undefined ? `'${word}'` : `'${word}' (did you mean '${best}'?)`;
}
