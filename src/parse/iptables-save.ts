import {
  BUILTIN_CHAINS,
  type Chain,
  type Diagnostic,
  type Family,
  type RuleStore,
  type Ruleset,
  type Table,
  type TableName,
} from '../model';
import { checkRule } from './decode-rule';
import { DiagnosticSink } from './diagnostics';
import { RangeInterner } from './interner';
import { optionValues } from './option-values';
import { QUOTED, TokenBuffer, tokenIs, tokenize, tokenValue, UNTERMINATED } from './tokenize';
import { KNOWN_MODULES, KNOWN_TARGETS } from './vocabulary';

// The scanner: one pass over the text, classifying each line by its first
// byte (iptables-save-format.md §6). Rules are recorded as offsets; their
// matches and targets are decoded later, on demand (decode-rule.ts), so a
// 30 MB dump costs a few flat arrays and not millions of objects.

export interface ParseOptions {
  /**
   * Decode every rule once to report bad option values (default true). The
   * decoded rules are not kept, so memory stays flat; `false` skips the pass.
   */
  checkRules?: boolean;
}

export interface ParseResult {
  ruleset: Ruleset;
  diagnostics: Diagnostic[];
}

const TABLE_NAMES: ReadonlySet<string> = new Set(['raw', 'mangle', 'nat', 'filter', 'security']);

/** Chains and targets that only exist in nat, to place rules of a headerless excerpt. */
const NAT_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SEP-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-SVL-', 'KUBE-XLB-'];
const NAT_CHAINS = new Set([
  'PREROUTING',
  'POSTROUTING',
  'KUBE-MARK-MASQ',
  'KUBE-POSTROUTING',
  'KUBE-NODEPORTS',
  'DOCKER',
]);
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'KUBE-MARK-MASQ', 'NETMAP']);

/** The model's per-rule columns (RuleStore less `count`), in the order they are declared. */
const STORE_COLUMNS = [
  'table',
  'chain',
  'position',
  'start',
  'end',
  'line',
  'column',
  'jumpChain',
  'isGoto',
  'packets',
  'bytes',
] as const satisfies readonly Exclude<keyof RuleStore, 'count'>[];

/** The builder's columns: the model's, plus the interned target name it resolves jumps from. */
const COLUMNS = [...STORE_COLUMNS, 'targetName'] as const;

/** A typed array of length `n` with `a`'s contents in front. */
function resized<T extends Int32Array | Uint8Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}

class RuleStoreBuilder {
  count = 0;
  table: Int32Array;
  chain: Int32Array;
  position: Int32Array;
  start: Int32Array;
  end: Int32Array;
  line: Int32Array;
  column: Int32Array;
  jumpChain: Int32Array;
  isGoto: Uint8Array;
  packets: Float64Array;
  bytes: Float64Array;
  /** Interned target name per rule, -1 for none. */
  targetName: Int32Array;

  /** `expected`: a guess at the rule count (kube-proxy lines average ~110 bytes). */
  constructor(expected: number) {
    const n = Math.max(1024, expected);
    this.table = new Int32Array(n);
    this.chain = new Int32Array(n);
    this.position = new Int32Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.line = new Int32Array(n);
    this.column = new Int32Array(n);
    this.jumpChain = new Int32Array(n);
    this.isGoto = new Uint8Array(n);
    this.packets = new Float64Array(n);
    this.bytes = new Float64Array(n);
    this.targetName = new Int32Array(n);
  }

  push(): number {
    if (this.count === this.table.length) this.grow();
    return this.count++;
  }

  private grow(): void {
    const n = this.table.length * 2;
    for (const k of COLUMNS) Object.assign(this, { [k]: resized(this[k], n) });
  }

  build(): RuleStore {
    const n = this.count;
    const store = { count: n } as RuleStore;
    for (const k of STORE_COLUMNS) Object.assign(store, { [k]: this[k].slice(0, n) });
    return store;
  }
}

/** Known module names by length, to recognise `-m comment` without hashing. */
const KNOWN_BY_LENGTH: string[][] = [];
for (const m of KNOWN_MODULES) {
  const list = KNOWN_BY_LENGTH[m.length] ?? [];
  list.push(m);
  KNOWN_BY_LENGTH[m.length] = list;
}

function isKnownModuleAt(text: string, start: number, end: number): boolean {
  const candidates = KNOWN_BY_LENGTH[end - start];
  if (candidates === undefined) return false;
  for (const name of candidates) if (sameText(text, start, end, name)) return true;
  return false;
}

/**
 * Table.chainIndex, built on first use: a big node declares 100k chains, and hashing
 * every name into a Map during the parse cost a fifth of it, while a trace needs a few.
 */
function lazyChainIndex(t: Table): void {
  let index: Map<string, number> | undefined;
  Object.defineProperty(t, 'chainIndex', {
    enumerable: false,
    get(): Map<string, number> {
      if (!index || index.size !== t.chains.length) {
        index = new Map();
        for (let i = 0; i < t.chains.length; i++) if (!index.has(t.chains[i].name)) index.set(t.chains[i].name, i);
      }
      return index;
    },
  });
}

function sameText(text: string, start: number, end: number, name: string): boolean {
  // kube-proxy's names differ in their last characters (the hash): test the last one first.
  return (
    end - start === name.length &&
    text.charCodeAt(end - 1) === name.charCodeAt(name.length - 1) &&
    text.startsWith(name, start)
  );
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Reads `[P:B]` at text[i]; returns the offset after `]` or -1. */
function readCounters(text: string, i: number, end: number, out: { p: number; b: number }): number {
  let j = i + 1;
  let p = 0;
  let digits = 0;
  while (j < end && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) {
    p = p * 10 + text.charCodeAt(j++) - 48;
    digits++;
  }
  if (digits === 0 || text.charCodeAt(j) !== 58) return -1;
  j++;
  let b = 0;
  digits = 0;
  while (j < end && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) {
    b = b * 10 + text.charCodeAt(j++) - 48;
    digits++;
  }
  if (digits === 0 || text.charCodeAt(j) !== 93) return -1;
  out.p = p;
  out.b = b;
  return j + 1;
}

/** What a pasted text that is not iptables-save output probably is, or null. */
function recogniseForeign(line: string): string | null {
  if (/^(table\s+(ip|ip6|inet|arp|bridge|netdev)\s+\S+\s*\{|flush ruleset)/.test(line))
    return 'this looks like `nft list ruleset` output (nftables syntax); chainwalk reads iptables-save output: run `iptables-save` (and `ip6tables-save`) on the node and paste that';
  if (/^Chain \S+ \((policy \w+|\d+ references)/.test(line))
    return 'this looks like `iptables -L` output; chainwalk needs the exact rules: run `iptables-save` on the node and paste that';
  if (/^\s*(TRACE|EVENT|PACKET):/.test(line))
    return 'this looks like `xtables-monitor` output; paste the node’s `iptables-save` instead';
  if (/^(create|add) KUBE-\S+ /.test(line) || /^(create|add) \S+ (hash|bitmap|list):/.test(line))
    return 'this looks like `ipset save` output; chainwalk reads the iptables-save part of a paste here and takes sets as empty';
  if (/^-A -[tu] /.test(line) || /^IP Virtual Server/.test(line))
    return 'this looks like `ipvsadm` output; chainwalk reads the iptables-save part of a paste here';
  if (/^(apiVersion|kind):/.test(line)) return 'this looks like Kubernetes YAML; paste an iptables-save dump here';
  return null;
}

/** What the fast scan of an `-A CHAIN …` line found. */
interface AppendScan {
  chainStart: number;
  chainEnd: number;
  targetStart: number;
  targetEnd: number;
  isGoto: number;
  /** Start/end pairs of `-m NAME` module names. */
  modules: Int32Array;
  moduleCount: number;
  /** An `-s`/`-d` value contains `:` (an IPv6 address). */
  ipv6: boolean;
}

/**
 * Scans the common rule line, `-A CHAIN …` as iptables-save prints it, without
 * storing tokens. Returns false for anything unusual (an escaped or
 * unterminated quote, a quote inside a token, another command), which the
 * general tokenizer then handles.
 */
/**
 * Where the next `\\`, `"`, tab and `:` are, so the scan finds them with native indexOf
 * rather than per character, and each search covers any stretch of text only once
 * (a fresh indexOf per line would scan to the end of a text that has none: quadratic).
 */
interface Cursor {
  backslash: number;
  quote: number;
  tab: number;
  colon: number;
}

function nextAt(text: string, ch: string, from: number): number {
  const k = text.indexOf(ch, from);
  return k < 0 ? text.length : k;
}

function scanAppend(text: string, s: number, e: number, out: AppendScan, cur: Cursor): boolean {
  if (text.charCodeAt(s) !== 45 || text.charCodeAt(s + 1) !== 65 || text.charCodeAt(s + 2) !== 32) return false;
  // Tabs inside a rule are rare (pastes); the general tokenizer handles them.
  if (cur.tab < s) cur.tab = nextAt(text, '\t', s);
  if (cur.tab < e) return false;
  if (cur.quote < s) cur.quote = nextAt(text, '"', s);
  let i = s + 3;
  while (i < e && text.charCodeAt(i) === 32) i++;
  out.chainStart = i;
  let sp = text.indexOf(' ', i);
  if (sp < 0 || sp > e) sp = e;
  if (cur.quote < sp) return false;
  out.chainEnd = i = sp;
  if (out.chainEnd === out.chainStart) return false;
  out.targetStart = -1;
  out.targetEnd = -1;
  out.isGoto = 0;
  out.moduleCount = 0;
  out.ipv6 = false;
  // 0: nothing pending; 1: the next token is the target; 2: a module name; 3: an address.
  let pending = 0;
  // The previous token when it was a long option (its value, if it takes one, may start with `-`),
  // and the extension it belongs to (the last `-m` module, or the target once there is one).
  let optStart = -1;
  let optEnd = -1;
  let extStart = -1;
  let extEnd = -1;
  while (i < e) {
    if (text.charCodeAt(i) === 32) {
      i++;
      continue;
    }
    const ts = i;
    if (cur.quote < ts) cur.quote = nextAt(text, '"', ts);
    if (cur.quote === ts) {
      const q = nextAt(text, '"', ts + 1);
      // Remember it: on hostile input (quotes never closed) a fresh search per line would be quadratic.
      cur.quote = q;
      if (q >= e) return false;
      // An escape inside the quotes needs the full tokenizer.
      if (cur.backslash < ts) cur.backslash = nextAt(text, '\\', ts);
      if (cur.backslash < q) return false;
      i = q + 1;
      cur.quote = nextAt(text, '"', i);
      if (i < e && text.charCodeAt(i) !== 32) return false;
      if (pending === 1 || pending === 2) return false;
      pending = 0;
      optStart = -1;
      continue;
    }
    sp = text.indexOf(' ', ts);
    if (sp < 0 || sp > e) sp = e;
    // A quote inside an unquoted token: the general tokenizer.
    if (cur.quote < sp) return false;
    i = sp;
    if (pending !== 0) {
      if (pending === 1) {
        out.targetStart = extStart = ts;
        out.targetEnd = extEnd = i;
      } else if (pending === 2) {
        if (out.moduleCount * 2 === out.modules.length) {
          const m = new Int32Array(out.modules.length * 2);
          m.set(out.modules);
          out.modules = m;
        }
        out.modules[out.moduleCount * 2] = extStart = ts;
        out.modules[out.moduleCount * 2 + 1] = extEnd = i;
        out.moduleCount++;
      } else {
        if (cur.colon < ts) cur.colon = nextAt(text, ':', ts);
        if (cur.colon < i) out.ipv6 = true;
      }
      pending = 0;
      optStart = -1;
      continue;
    }
    if (text.charCodeAt(ts) !== 45) {
      optStart = -1;
      continue;
    }
    // getopt gives an option that takes a value the next word, even `-j` (`--comment -j`).
    if (optStart >= 0 && takesValue(text, optStart, optEnd, extStart, extEnd)) {
      optStart = -1;
      continue;
    }
    const len = i - ts;
    if (len > 2 && text.charCodeAt(ts + 1) === 45) {
      optStart = ts;
      optEnd = i;
    } else optStart = -1;
    if (len === 2) {
      const c1 = text.charCodeAt(ts + 1);
      if (c1 === 106 /* j */ || c1 === 103 /* g */) {
        pending = 1;
        out.isGoto = c1 === 103 ? 1 : 0;
      } else if (c1 === 109 /* m */) pending = 2;
      else if (c1 === 115 /* s */ || c1 === 100 /* d */) pending = 3;
      else if (c1 === 65 /* A */ || c1 === 73 /* I */) return false;
    } else if (len === 6 && text.charCodeAt(ts + 1) === 45) {
      if (text.startsWith('--jump', ts)) {
        pending = 1;
        out.isGoto = 0;
      } else if (text.startsWith('--goto', ts)) {
        pending = 1;
        out.isGoto = 1;
      }
    } else if (len === 7 && text.startsWith('--match', ts)) pending = 2;
  }
  return true;
}

/** Whether long option text[s, e) of extension text[extS, extE) (none when extS < 0) takes a value. */
function takesValue(text: string, s: number, e: number, extS: number, extE: number): boolean {
  return optionValues(text.slice(s, e), extS < 0 ? null : text.slice(extS, extE)) > 0;
}

/** Parses iptables-save / ip6tables-save output (also `iptables -S` and grep excerpts). */
export function parseIptablesSave(text: string, options: ParseOptions = {}): ParseResult {
  const sink = new DiagnosticSink();
  const store = new RuleStoreBuilder(Math.ceil(text.length / 100));
  const tables: Table[] = [];
  // Chain, target and module names, interned once for the whole text.
  const names = new RangeInterner();
  /** Per table (by index): name id → chain index + 1 (0: none). */
  const chainIds: Int32Array[] = [];
  /** Per name id: 1 known module, 2 unknown module (reported), 0 not looked at. */
  const moduleState: number[] = [];
  const unknownTargets = new Set<string>();
  const tok = new TokenBuffer();
  const scan: AppendScan = {
    chainStart: 0,
    chainEnd: 0,
    targetStart: 0,
    targetEnd: 0,
    isGoto: 0,
    modules: new Int32Array(16),
    moduleCount: 0,
    ipv6: false,
  };
  const counters = { p: 0, b: 0 };
  const cursor: Cursor = { backslash: -1, quote: -1, tab: -1, colon: -1 };

  let current: Table | null = null;
  let currentIdx = -1;
  let skippingTable = false;
  let familyHint: Family | null = null;
  let sawIPv6 = false;
  let sawCR = false;
  const headerless = new Map<TableName, Table>();
  let foreignReported = false;
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  // Rules of a chain are contiguous in iptables-save output: remember the last chain.
  let lastChainTable = -1;
  let lastChainIdx = -1;

  const openTable = (name: TableName, line: number, column: number, length: number): Table => {
    const t = {
      family: familyHint ?? 4,
      name,
      chains: [],
      span: { line, column, length },
      committed: false,
    } as unknown as Table;
    lazyChainIndex(t);
    tables.push(t);
    chainIds.push(new Int32Array(1024));
    return t;
  };

  const chainOf = (tableIdx: number, nameId: number, line: number, column: number, length: number): number => {
    const t = tables[tableIdx];
    let ids = chainIds[tableIdx];
    if (nameId >= ids.length) {
      const grown = new Int32Array(Math.max(ids.length * 2, nameId + 1));
      grown.set(ids);
      chainIds[tableIdx] = ids = grown;
    }
    let idx = ids[nameId] - 1;
    if (idx < 0) {
      const name = names.names[nameId];
      const builtin = BUILTIN_CHAINS[t.name].includes(name);
      const c: Chain = {
        name,
        builtin,
        policy: builtin ? 'ACCEPT' : null,
        rules: [],
        span: { line, column, length },
        declared: false,
      };
      idx = t.chains.length;
      t.chains.push(c);
      ids[nameId] = idx + 1;
    }
    lastChainTable = tableIdx;
    lastChainIdx = idx;
    return idx;
  };

  const checkModule = (start: number, end: number, line: number, column: number) => {
    if (isKnownModuleAt(text, start, end)) return;
    const id = names.intern(text, start, end);
    const state = moduleState[id];
    if (state !== undefined) return;
    const mod = names.names[id];
    if (KNOWN_MODULES.has(mod)) moduleState[id] = 1;
    else {
      moduleState[id] = 2;
      sink.add(
        'warning',
        'unknown-match',
        `match module '${mod}' is not modelled: the rule is kept as written and the simulator says where it assumes`,
        line,
        column,
        mod.length,
      );
    }
  };

  const finishTable = (t: Table) => {
    if (sawIPv6 && familyHint !== 4) t.family = 6;
    sawIPv6 = false;
    resolveJumps(t, tables.indexOf(t));
  };

  const resolveJumps = (t: Table, tableIdx: number) => {
    const ids = chainIds[tableIdx];
    const isHeaderless = [...headerless.values()].includes(t);
    const builtins = new Set<number>();
    for (let i = 0; i < t.chains.length; i++) if (t.chains[i].builtin) builtins.add(i);
    for (const chain of t.chains) {
      for (const id of chain.rules) {
        if (store.table[id] !== tableIdx) continue;
        const nameId = store.targetName[id];
        if (nameId < 0) continue;
        const target = nameId < ids.length ? ids[nameId] - 1 : -1;
        if (target >= 0) {
          store.jumpChain[id] = target;
          if (builtins.has(target)) {
            sink.add(
              'error',
              'jump-to-builtin',
              `cannot jump to built-in chain ${names.names[nameId]}`,
              store.line[id],
              store.column[id],
              2,
            );
          }
        } else if (!KNOWN_TARGETS.has(names.names[nameId])) {
          // Unknown name: a target extension we do not know (it has options), or a chain this input never defines.
          const name = names.names[nameId];
          const at = text.lastIndexOf(` ${name}`, store.end[id]);
          const hasOptions = at >= store.start[id] && at + 1 + name.length < store.end[id];
          if (hasOptions && !unknownTargets.has(name)) {
            unknownTargets.add(name);
            sink.add(
              'warning',
              'unknown-target',
              `target ${name} is not modelled: the rule is kept as written and the simulator takes it as CONTINUE, saying so`,
              store.line[id],
              at - (store.start[id] - store.column[id] + 1) + 2,
              name.length,
            );
          } else if (!hasOptions) {
            sink.add(
              isHeaderless ? 'warning' : 'error',
              'undefined-chain',
              `jump to ${name}, which is not a chain in table ${t.name} nor a known target; the walk continues past this rule` +
                (isHeaderless ? ' (the excerpt may not include that chain)' : ''),
              store.line[id],
              store.column[id],
              2,
            );
          }
        }
      }
    }
  };

  const tableIndexFor = (chainName: string, target: string | null): number => {
    if (current) return currentIdx;
    return tables.indexOf(pickHeaderless(chainName, target));
  };

  const addRule = (
    tableIdx: number,
    chainIdx: number,
    start: number,
    end: number,
    line: number,
    column: number,
    targetName: number,
    isGoto: number,
    packets: number,
    bytes: number,
    insertAt: number,
  ) => {
    const chain = tables[tableIdx].chains[chainIdx];
    if (current && !chain.declared && chain.rules.length === 0) {
      sink.add(
        'warning',
        'undeclared-chain',
        `chain ${chain.name} gets rules but has no ':${chain.name}' line in table ${current.name}`,
        line,
        column + 3,
        chain.name.length,
      );
    }
    const id = store.push();
    store.table[id] = tableIdx;
    store.chain[id] = chainIdx;
    store.start[id] = start;
    store.end[id] = end;
    store.line[id] = line;
    store.column[id] = column;
    store.jumpChain[id] = -1;
    store.isGoto[id] = isGoto;
    store.packets[id] = packets;
    store.bytes[id] = bytes;
    store.targetName[id] = targetName;
    if (insertAt > 0 && insertAt <= chain.rules.length) {
      chain.rules.splice(insertAt - 1, 0, id);
      for (let r = 0; r < chain.rules.length; r++) store.position[chain.rules[r]] = r + 1;
    } else {
      chain.rules.push(id);
      store.position[id] = chain.rules.length;
    }
  };

  /** Any rule line the fast scan declined: tokenized in full. Returns where the next line starts. */
  const slowRule = (
    ruleStart: number,
    e: number,
    lineStart: number,
    s: number,
    col: number,
    p: number,
    b: number,
  ): number => {
    let next = pos;
    let ruleEnd = e;
    let n = tokenize(text, ruleStart, ruleEnd, tok);
    // iptables-save prints an unterminated quoted value across two lines; join them when the next line opens with `"`.
    if (n > 0 && tok.flags[n - 1] & UNTERMINATED) {
      const quoteCol = tok.openQuote - lineStart + 1;
      let k = pos;
      while (k < len && isBlank(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === 34) {
        let nextEol = text.indexOf('\n', k);
        if (nextEol < 0) nextEol = len;
        ruleEnd = nextEol;
        while (ruleEnd > k && (isBlank(text.charCodeAt(ruleEnd - 1)) || text.charCodeAt(ruleEnd - 1) === 13)) ruleEnd--;
        n = tokenize(text, ruleStart, ruleEnd, tok);
        next = nextEol + 1;
        sink.add(
          'warning',
          'newline-in-quote',
          'a quoted value spans two lines (its closing quote is on the next line)',
          lineNo,
          quoteCol,
          1,
        );
      } else {
        sink.add(
          'error',
          'unbalanced-quote',
          'unbalanced quote: no closing " on this line; iptables-restore would take the rest of the line as the value',
          lineNo,
          quoteCol,
          e - tok.openQuote,
        );
      }
    }
    const ruleLine = lineNo;
    if (next !== pos) lineNo++;
    let t0 = 0;
    // `-4` / `-6` prefixes (iptables -S style input).
    if (n > 0 && (tokenIs(text, tok.start[0], tok.end[0], '-4') || tokenIs(text, tok.start[0], tok.end[0], '-6'))) {
      if (text.charCodeAt(tok.start[0] + 1) === 54) sawIPv6 = true;
      t0 = 1;
    }
    if (n - t0 < 2) {
      const foreign = recogniseForeign(text.slice(s, e));
      if (foreign && !foreignReported) {
        foreignReported = true;
        sink.add('error', 'not-iptables-save', foreign, ruleLine, col, e - s);
      } else if (!foreign)
        sink.add('error', 'truncated-rule', 'rule line ends before its chain name', ruleLine, col, e - s);
      return next;
    }
    const cmdStart = tok.start[t0];
    const cmdEnd = tok.end[t0];
    const chainTokStart = tok.start[t0 + 1];
    const chainTokEnd = tok.end[t0 + 1];
    const cmd = text.slice(cmdStart, cmdEnd);
    const chainName = text.slice(chainTokStart, chainTokEnd);
    const isAppend = cmd === '-A' || cmd === '--append';
    const isInsert = cmd === '-I' || cmd === '--insert';
    if (!isAppend && !isInsert) {
      if (cmd === '-N' || cmd === '--new-chain' || cmd === '-P' || cmd === '--policy') {
        const tableIdx = tableIndexFor(chainName, null);
        const table = tables[tableIdx];
        const chain = table.chains[chainOf(tableIdx, names.internString(chainName), ruleLine, col, e - s)];
        chain.declared = true;
        if (cmd === '-P' || cmd === '--policy') {
          const policy = n > t0 + 2 ? text.slice(tok.start[t0 + 2], tok.end[t0 + 2]) : '';
          if (chain.builtin && (policy === 'ACCEPT' || policy === 'DROP')) chain.policy = policy;
          else sink.add('error', 'bad-policy', `cannot set policy '${policy}' on ${chain.name}`, ruleLine, col, e - s);
        }
      } else {
        const foreign = recogniseForeign(text.slice(s, e));
        if (foreign) {
          if (!foreignReported) sink.add('error', 'not-iptables-save', foreign, ruleLine, col, e - s);
          foreignReported = true;
        } else
          sink.add(
            'warning',
            'unsupported-command',
            `${cmd} is not part of iptables-save output; only -A (and -I, -N, -P) are read, this line is skipped`,
            ruleLine,
            col,
            cmdEnd - cmdStart,
          );
      }
      return next;
    }

    // Find the target (and note modules and address families) without decoding the rule.
    let targetTok = -1;
    let isGoto = 0;
    let insertAt = -1;
    let i = t0 + 2;
    if (isInsert && i < n) {
      const v = Number(text.slice(tok.start[i], tok.end[i]));
      if (Number.isInteger(v) && v > 0) {
        insertAt = v;
        i++;
      }
    }
    // Each option takes its values whatever they look like, as getopt does (`--comment -j` is a comment).
    let ext: string | null = null;
    for (; i < n; i++) {
      const ts = tok.start[i];
      const te = tok.end[i];
      if (tok.flags[i] & QUOTED || text.charCodeAt(ts) !== 45 || i + 1 >= n) continue;
      const l = te - ts;
      const c1 = text.charCodeAt(ts + 1);
      const isJump =
        l === 2 ? c1 === 106 || c1 === 103 : tokenIs(text, ts, te, '--jump') || tokenIs(text, ts, te, '--goto');
      if (isJump) {
        targetTok = ++i;
        isGoto = text.charCodeAt(ts + (l === 2 ? 1 : 2)) === 103 ? 1 : 0;
        ext = tokenValue(text, tok.start[i], tok.end[i], tok.flags[i]);
      } else if (tokenIs(text, ts, te, '-m') || tokenIs(text, ts, te, '--match')) {
        i++;
        checkModule(tok.start[i], tok.end[i], ruleLine, tok.start[i] - lineStart + 1);
        ext = tokenValue(text, tok.start[i], tok.end[i], tok.flags[i]);
      } else if (l === 2) {
        // -s -d -i -o -p take a value, -c two; -f, -4 and -6 none.
        if (c1 === 115 || c1 === 100) {
          for (let k = tok.start[i + 1]; k < tok.end[i + 1]; k++) if (text.charCodeAt(k) === 58) sawIPv6 = true;
          i++;
        } else if (c1 === 105 || c1 === 111 || c1 === 112) i++;
        else if (c1 === 99) i += 2;
      } else if (c1 === 45 && optionValues(text.slice(ts, te), ext) > 0) i++;
    }
    const targetText =
      targetTok >= 0 ? tokenValue(text, tok.start[targetTok], tok.end[targetTok], tok.flags[targetTok]) : null;
    const tableIdx = tableIndexFor(chainName, targetText);
    const chainIdx = chainOf(tableIdx, names.internString(chainName), ruleLine, col, e - s);
    addRule(
      tableIdx,
      chainIdx,
      cmdStart,
      ruleEnd,
      ruleLine,
      cmdStart - lineStart + 1,
      targetText === null ? -1 : names.internString(targetText),
      isGoto,
      p,
      b,
      insertAt,
    );
    return next;
  };

  while (pos < len) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = len;
    lineNo++;
    let e = eol;
    if (e > pos && text.charCodeAt(e - 1) === 13) {
      e--;
      sawCR = true;
    }
    let s = pos;
    while (s < e && isBlank(text.charCodeAt(s))) s++;
    while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
    const lineStart = pos;
    pos = eol + 1;
    if (s === e) continue;
    const col = s - lineStart + 1;
    const c0 = text.charCodeAt(s);

    if (c0 === 35 /* # */) {
      if (text.startsWith('# Generated by ', s)) {
        familyHint = text.startsWith('ip6tables', s + 15) ? 6 : text.startsWith('iptables', s + 15) ? 4 : null;
      }
      continue;
    }

    if (c0 === 42 /* * */) {
      const name = text.slice(s + 1, e).trim();
      if (current) {
        sink.add(
          'error',
          'missing-commit',
          `*${name} starts while table ${current.name} is still open: COMMIT expected before it`,
          lineNo,
          col,
          e - s,
        );
        current.committed = false;
        finishTable(current);
      }
      current = null;
      skippingTable = false;
      if (!TABLE_NAMES.has(name)) {
        sink.add(
          'error',
          'unknown-table',
          `unknown table '${name}': iptables has raw, mangle, nat, filter and security; its lines are skipped until COMMIT`,
          lineNo,
          col + 1,
          name.length,
        );
        skippingTable = true;
        continue;
      }
      current = openTable(name as TableName, lineNo, col, e - s);
      currentIdx = tables.length - 1;
      continue;
    }

    if (c0 === 67 /* C */ && tokenIs(text, s, e, 'COMMIT')) {
      if (skippingTable) {
        skippingTable = false;
        continue;
      }
      if (!current) {
        sink.add('error', 'commit-without-table', 'COMMIT without a *table line before it', lineNo, col, 6);
        continue;
      }
      current.committed = true;
      finishTable(current);
      current = null;
      familyHint = null;
      continue;
    }

    if (skippingTable) continue;

    if (c0 === 58 /* : */) {
      if (!current) {
        sink.add('error', 'chain-before-table', 'chain line before any *table line: it is skipped', lineNo, col, e - s);
        continue;
      }
      // `:NAME POLICY [p:b]`: find the name's end natively (a tab falls back to the loop).
      let j = text.indexOf(' ', s + 1);
      if (j < 0 || j > e) j = e;
      if (cursor.tab < s) cursor.tab = nextAt(text, '\t', s);
      if (cursor.tab < j) j = cursor.tab;
      const nameEnd = j;
      while (j < e && isBlank(text.charCodeAt(j))) j++;
      let k = j;
      while (k < e && !isBlank(text.charCodeAt(k))) k++;
      if (nameEnd === s + 1) {
        sink.add('error', 'bad-chain-line', 'chain line without a name', lineNo, col, e - s);
        continue;
      }
      // iptables-save prints a user chain as `:NAME - [0:0]`: no need to slice the policy.
      const policy = k === j + 1 && text.charCodeAt(j) === 45 ? '-' : text.slice(j, k);
      const nameId = names.intern(text, s + 1, nameEnd);
      const name = names.names[nameId];
      const ids = chainIds[currentIdx];
      const exists = nameId < ids.length && ids[nameId] > 0;
      const idx = chainOf(currentIdx, nameId, lineNo, col, e - s);
      const chain = current.chains[idx];
      if (exists && chain.declared) {
        sink.add(
          'warning',
          'duplicate-chain',
          `chain ${name} is declared twice in table ${current.name}`,
          lineNo,
          col,
          e - s,
        );
      }
      chain.declared = true;
      chain.span = { line: lineNo, column: col, length: e - s };
      if (chain.builtin) {
        if (policy === 'ACCEPT' || policy === 'DROP') chain.policy = policy;
        else
          sink.add(
            'error',
            'bad-policy',
            `built-in chain ${name} needs policy ACCEPT or DROP, not '${policy}'; ACCEPT assumed`,
            lineNo,
            col + (j - s),
            Math.max(1, k - j),
          );
      } else if (policy !== '-' && policy !== '') {
        sink.add(
          'warning',
          'policy-on-user-chain',
          `user chain ${name} cannot have a policy ('${policy}'); ignored`,
          lineNo,
          col + (j - s),
          k - j,
        );
      }
      continue;
    }

    if (c0 === 45 /* - */ || c0 === 91 /* [ */) {
      let ruleStart = s;
      let p = -1;
      let b = -1;
      if (c0 === 91) {
        const after = readCounters(text, s, e, counters);
        if (after < 0) {
          sink.add(
            'error',
            'bad-counters',
            'rule counters must look like [PACKETS:BYTES]',
            lineNo,
            col,
            Math.min(e - s, 20),
          );
          continue;
        }
        p = counters.p;
        b = counters.b;
        ruleStart = after;
        while (ruleStart < e && isBlank(text.charCodeAt(ruleStart))) ruleStart++;
      }
      if (current && scanAppend(text, ruleStart, e, scan, cursor)) {
        // The common case, with no token stored.
        // iptables-save lists rules chain by chain, in the order it declared the chains: a rule's
        // chain is almost always the previous rule's or one of the next few declared. Compare those
        // names before hashing.
        let chainIdx = -1;
        const chains = current.chains;
        if (currentIdx === lastChainTable) {
          for (let k = lastChainIdx; k < chains.length && k < lastChainIdx + 4; k++) {
            if (sameText(text, scan.chainStart, scan.chainEnd, chains[k].name)) {
              chainIdx = k;
              break;
            }
          }
        }
        if (chainIdx >= 0) lastChainIdx = chainIdx;
        else chainIdx = chainOf(currentIdx, names.intern(text, scan.chainStart, scan.chainEnd), lineNo, col, e - s);
        for (let m = 0; m < scan.moduleCount; m++) {
          const ms = scan.modules[m * 2];
          checkModule(ms, scan.modules[m * 2 + 1], lineNo, ms - lineStart + 1);
        }
        if (scan.ipv6) sawIPv6 = true;
        const target = scan.targetStart >= 0 ? names.intern(text, scan.targetStart, scan.targetEnd) : -1;
        addRule(currentIdx, chainIdx, ruleStart, e, lineNo, ruleStart - lineStart + 1, target, scan.isGoto, p, b, -1);
        continue;
      }
      pos = slowRule(ruleStart, e, lineStart, s, col, p, b);
      continue;
    }

    const foreign = recogniseForeign(text.slice(s, e));
    if (foreign) {
      if (!foreignReported) sink.add('error', 'not-iptables-save', foreign, lineNo, col, e - s);
      foreignReported = true;
    } else if (/^commit$/i.test(text.slice(s, e))) {
      sink.add('error', 'bad-commit', `'${text.slice(s, e)}' must be written COMMIT`, lineNo, col, e - s);
    } else {
      sink.add(
        'error',
        'bad-line',
        `not an iptables-save line: expected *table, :CHAIN POLICY, -A CHAIN …, COMMIT or a # comment`,
        lineNo,
        col,
        Math.min(e - s, 80),
      );
    }
  }

  if (current) {
    sink.add(
      'error',
      'missing-commit',
      `COMMIT expected at line ${lineNo + 1}: table ${current.name} is never committed (its rules are still shown)`,
      lineNo + 1,
      1,
      1,
    );
    finishTable(current);
  }
  if (headerless.size > 0) {
    const list = [...headerless.values()];
    for (const t of list) finishTable(t);
    sink.add(
      'warning',
      'no-table-header',
      `no *table line before the first rule: rules were placed in ${list.map((t) => t.name).join(' and ')} by their chain and target names; paste the whole iptables-save output to be sure`,
      list[0].span.line,
      list[0].span.column,
      list[0].span.length,
    );
  }
  if (sawCR)
    sink.add(
      'info',
      'crlf',
      'the text has Windows (CRLF) line endings; they were ignored (iptables-restore itself would reject them)',
      1,
      1,
      1,
    );

  function pickHeaderless(chainName: string, target: string | null): Table {
    const nat =
      NAT_CHAINS.has(chainName) ||
      NAT_CHAIN_PREFIXES.some((p) => chainName.startsWith(p)) ||
      (target !== null && (NAT_TARGETS.has(target) || NAT_CHAIN_PREFIXES.some((p) => target.startsWith(p))));
    const name: TableName = nat ? 'nat' : 'filter';
    let t = headerless.get(name);
    if (!t) {
      t = openTable(name, lineNo, 1, 1);
      headerless.set(name, t);
    }
    return t;
  }

  const ruleset: Ruleset = { text, tables, rules: store.build(), decoded: [], dispatch: new Map() };
  if (options.checkRules !== false) {
    for (let id = 0; id < ruleset.rules.count; id++) checkRule(ruleset, id, sink);
  }
  return { ruleset, diagnostics: sink.finish() };
}
