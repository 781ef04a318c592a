// Text bound for a terminal: control characters that could move the cursor, recolour or retitle it are shown as escapes.

/** Every C0/C1 control but the line feed and tab, and the bidirectional controls, as `\u{…}`. Linear. */
export function forTerminal(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
