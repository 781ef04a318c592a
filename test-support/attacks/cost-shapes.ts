// Pathological texts a stranger can post (64 KiB of one trick each), for timing every parser that reads them.

export interface Parser {
  name: string;
  run: (text: string) => unknown;
}

export interface Shape {
  name: string;
  /** What the trick targets, for the table. */
  why: string;
  make: (size: number) => string;
}

const fill = (unit: string, size: number, prefix = '', suffix = '') => {
  const body = unit.repeat(Math.max(0, Math.ceil((size - prefix.length - suffix.length) / unit.length)));
  return prefix + body.slice(0, Math.max(0, size - prefix.length - suffix.length)) + suffix;
};

export const SHAPES: Shape[] = [
  { name: 'newlines', why: 'many line starts for ^…$/m patterns', make: (n) => fill('\n', n) },
  { name: 'spaces-and-newlines', why: '\\s* spanning lines before a missing `{`', make: (n) => fill(' \n', n, '', 'x') },
  { name: 'U+2028 and U+0085', why: 'line breaks other than \\n (the runner reads U+0085 as one)', make: (n) => fill('\u2028\u0085::', n) },
  { name: 'open braces', why: '`{` repeated: JSON depth and request detection', make: (n) => fill('{', n) },
  { name: 'backtick fences', why: '``` repeated on one line and as lines', make: (n) => fill('```json\n', n) },
  { name: 'backtick runs', why: 'code-span matching with unequal runs', make: (n) => fill('`a``b```c', n) },
  { name: 'at signs', why: '`@` repeated: mention and target patterns', make: (n) => fill('@a', n) },
  { name: 'http schemes', why: '`http://` repeated: URL scrubbing', make: (n) => fill('http://', n) },
  { name: 'spaces, no terminator', why: 'spaces then no end of the token', make: (n) => fill(' ', n, '/rollback', 'x') },
  { name: 'nested brackets', why: '`[` and `](` nesting: link patterns', make: (n) => fill('[![](', n) },
  { name: 'unterminated string', why: 'a JSON string of escapes that never closes', make: (n) => fill('\\"\\u0000', n, '{"name":"') },
  { name: 'markers', why: "Registrar's hidden marker repeated without an end", make: (n) => fill('<!-- registrar:package a@1.0.', n) },
  { name: 'token-like words', why: 'bearer/token words and long key-like runs (scrubbing)', make: (n) => fill('token Bearer AKIA', n) },
  { name: 'workflow commands', why: '`::` and `##[` after every kind of line break', make: (n) => fill('\n::\r##[\u0085::', n) },
  { name: 'dotted paths', why: '`../` and `a.` segments: archive-path rules', make: (n) => fill('../a./con.', n) },
  { name: 'targets', why: '`name@1.2.` repeated: rollback target parsing', make: (n) => fill('a-b@1.2.', n, '') },
  { name: 'long fence line', why: 'one fence, a long info string, a backtick at the end (overlapping classes in a fence pattern)', make: (n) => fill('a', n, '{}\n```', '`') },
  { name: 'SPDX or-chain', why: '`MIT OR ` repeated: the license parser is quadratic in the length', make: (n) => fill('MIT OR ', n, '', 'MIT') },
  { name: 'keyword then spaces', why: '`token` followed by spaces and no value (two optional \\s* around a separator)', make: (n) => fill(' ', n, 'token', '') },
];
