// Splits one rule into tokens the way iptables-restore's add_param_to_argv
// (iptables/xshared.c) does: blanks separate, runs collapse; `"` opens a quote
// anywhere, `\x` inside quotes is `x`; outside quotes `\` and `'` are literal.
// No regex and no object per token: offsets go into reusable typed arrays.

export const QUOTED = 1;
/** The quote was never closed: the value runs to the end of the input slice. */
export const UNTERMINATED = 2;

export class TokenBuffer {
  start = new Int32Array(64);
  end = new Int32Array(64);
  flags = new Uint8Array(64);
  count = 0;
  /** Offset of the opening quote of an unterminated token, else -1. */
  openQuote = -1;

  grow(): void {
    const n = this.start.length * 2;
    const s = new Int32Array(n);
    s.set(this.start);
    const e = new Int32Array(n);
    e.set(this.end);
    const f = new Uint8Array(n);
    f.set(this.flags);
    this.start = s;
    this.end = e;
    this.flags = f;
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Tokenizes text[from, to) into buf; returns the token count. */
export function tokenize(text: string, from: number, to: number, buf: TokenBuffer): number {
  let n = 0;
  let i = from;
  buf.openQuote = -1;
  while (i < to) {
    let c = text.charCodeAt(i);
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (n === buf.start.length) buf.grow();
    buf.start[n] = i;
    let flags = 0;
    let inQuote = false;
    for (; i < to; i++) {
      c = text.charCodeAt(i);
      if (inQuote) {
        if (c === 92 /* \ */) i++;
        else if (c === 34 /* " */) {
          inQuote = false;
          i++;
          break;
        }
      } else if (c === 34) {
        inQuote = true;
        flags |= QUOTED;
      } else if (isBlank(c)) break;
    }
    if (inQuote && i >= to) {
      flags |= UNTERMINATED;
      buf.openQuote = text.indexOf('"', buf.start[n]);
      i = to;
    }
    buf.end[n] = Math.min(i, to);
    buf.flags[n] = flags;
    n++;
  }
  buf.count = n;
  return n;
}

/** The value of a token: unquoted and unescaped as iptables-restore reads it. */
export function tokenValue(text: string, start: number, end: number, flags: number): string {
  if ((flags & QUOTED) === 0) return text.slice(start, end);
  let out = '';
  let inQuote = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (inQuote) {
      if (c === 92 && i + 1 < end) {
        out += text[++i];
        continue;
      }
      if (c === 34) {
        inQuote = false;
        continue;
      }
      out += text[i];
    } else if (c === 34) inQuote = true;
    else out += text[i];
  }
  return out;
}

/** True when the token text equals `s` exactly (no allocation). */
export function tokenIs(text: string, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (text.charCodeAt(start + i) !== s.charCodeAt(i)) return false;
  return true;
}
