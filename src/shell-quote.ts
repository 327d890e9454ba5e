/** Quotes one word for POSIX sh: single quotes, with each ' written as '\''. */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
