/**
 * `1 test`, `2 tests`, `1 prompt reference`: a count with its noun, plural unless the count is 1.
 * Nouns whose plural is not noun + "s" pass it (`plural(n, 'entry', 'entries')`).
 */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : many}`;
}
