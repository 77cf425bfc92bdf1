import { optionValues } from './option-values';
import { QUOTED, TokenBuffer, tokenize, tokenValue } from './tokenize';

// A rule's target as its text writes it: the name after -j or -g and each option with the values
// that follow it, unquoted as iptables-restore unquotes them (tokenize.ts). For saying what a rule
// does; the Target the simulator applies comes from decode-rule.ts.

export interface TargetOption {
  /** As written, dashes included: `--to-ports`. */
  name: string;
  values: string[];
  /** Written after a lone `!`. */
  invert: boolean;
}

export interface TargetWords {
  name: string;
  goto: boolean;
  options: TargetOption[];
}

const shared = new TokenBuffer();

/** One rule's tokens, read left to right. */
class Scan {
  readonly n: number;
  constructor(
    readonly text: string,
    readonly buf: TokenBuffer,
  ) {
    this.n = tokenize(text, 0, text.length, buf);
  }
  raw(k: number): string {
    return this.text.slice(this.buf.start[k], this.buf.end[k]);
  }
  value(k: number): string {
    return tokenValue(this.text, this.buf.start[k], this.buf.end[k], this.buf.flags[k]);
  }
  /** An option or a lone `!`: an unquoted token starting with `-` (a value does only where an option takes it). */
  atOption(k: number): boolean {
    if ((this.buf.flags[k] & QUOTED) !== 0) return false;
    const c = this.text.charCodeAt(this.buf.start[k]);
    const len = this.buf.end[k] - this.buf.start[k];
    return (c === 45 && len > 1) || (c === 33 && len === 1);
  }
  /**
   * The index after option k's values: the first whatever it looks like when the option takes one
   * (getopt; iptables-save prints `--comment -j` and `--log-prefix --x` bare), then any words up to
   * the next option.
   */
  afterValues(k: number, ext: string | null): number {
    let i = k + 1;
    if (i < this.n && optionValues(this.raw(k), ext) > 0) i++;
    while (i < this.n && !this.atOption(i)) i++;
    return i;
  }
}

/** How many values a short option (or `--match`) takes: `-A CHAIN`, `-s A`, `-c P B`, `-f`, `!`. */
function shortValues(word: string): number {
  if (word === '!' || word === '-f' || word === '-4' || word === '-6') return 0;
  return word === '-c' ? 2 : 1;
}

/** The target of one rule line (`-A CHAIN … -j NAME --opt v …`), or null when it has none. */
export function readTarget(ruleText: string): TargetWords | null {
  const s = new Scan(ruleText, shared);
  let i = 0;
  let module: string | null = null;
  while (i < s.n) {
    if (!s.atOption(i)) {
      i++; // `[packets:bytes]`, or a value no option claimed
      continue;
    }
    const word = s.raw(i);
    const isGoto = word === '-g' || word === '--goto';
    if ((word === '-j' || word === '--jump' || isGoto) && i + 1 < s.n) {
      const name = s.value(i + 1);
      return { name, goto: isGoto, options: readOptions(s, i + 2, name) };
    }
    if ((word === '-m' || word === '--match') && i + 1 < s.n) module = s.value(i + 1);
    i = word.startsWith('--') && word !== '--match' ? s.afterValues(i, module) : i + 1 + shortValues(word);
  }
  return null;
}

function readOptions(s: Scan, from: number, target: string): TargetOption[] {
  const options: TargetOption[] = [];
  let invert = false;
  let k = from;
  while (k < s.n) {
    if (!s.atOption(k)) {
      options.at(-1)?.values.push(s.value(k)); // a stray value: the option before it takes it
      k++;
      continue;
    }
    const word = s.raw(k);
    // Matches written after -j (by hand; iptables-save moves them before it) end the target.
    if (word === '-m' || word === '--match') break;
    if (word === '!') {
      invert = true;
      k++;
      continue;
    }
    const end = s.afterValues(k, target);
    const values: string[] = [];
    for (let v = k + 1; v < end; v++) values.push(s.value(v));
    options.push({ name: word, values, invert });
    invert = false;
    k = end;
  }
  return options;
}

/** The option `name` of a target, if written. */
export function targetOption(words: TargetWords, name: string): TargetOption | undefined {
  return words.options.find((o) => o.name === name);
}

/** The first value of option `name`, if written with one. */
export function targetValue(words: TargetWords, name: string): string | undefined {
  return targetOption(words, name)?.values[0];
}
