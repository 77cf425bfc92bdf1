import { BUILTIN_CHAINS, type Chain, type Diagnostic, type Family, type Ruleset, type RuleStore, type Table, type TableName } from '../model';
import { checkRule } from './decode-rule';
import { DiagnosticSink } from './diagnostics';
import { KNOWN_MODULES, KNOWN_TARGETS } from './vocabulary';
import { QUOTED, TokenBuffer, tokenIs, tokenize, tokenValue, UNTERMINATED } from './tokenize';

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
const NAT_CHAINS = new Set(['PREROUTING', 'POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING', 'KUBE-NODEPORTS', 'DOCKER']);
const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'KUBE-MARK-MASQ', 'NETMAP']);

class RuleStoreBuilder {
  count = 0;
  table = new Int32Array(1024);
  chain = new Int32Array(1024);
  position = new Int32Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  line = new Int32Array(1024);
  column = new Int32Array(1024);
  jumpChain = new Int32Array(1024);
  isGoto = new Uint8Array(1024);
  packets = new Float64Array(1024);
  bytes = new Float64Array(1024);
  /** Interned target name per rule (index into targetNames), -1 for none. */
  targetName = new Int32Array(1024);

  push(): number {
    if (this.count === this.table.length) this.grow();
    return this.count++;
  }

  private grow(): void {
    const n = this.table.length * 2;
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.table = g32(this.table);
    this.chain = g32(this.chain);
    this.position = g32(this.position);
    this.start = g32(this.start);
    this.end = g32(this.end);
    this.line = g32(this.line);
    this.column = g32(this.column);
    this.jumpChain = g32(this.jumpChain);
    this.targetName = g32(this.targetName);
    const g = new Uint8Array(n);
    g.set(this.isGoto);
    this.isGoto = g;
    this.packets = g64(this.packets);
    this.bytes = g64(this.bytes);
  }

  build(): RuleStore {
    const n = this.count;
    return {
      count: n,
      table: this.table.slice(0, n),
      chain: this.chain.slice(0, n),
      position: this.position.slice(0, n),
      start: this.start.slice(0, n),
      end: this.end.slice(0, n),
      line: this.line.slice(0, n),
      column: this.column.slice(0, n),
      jumpChain: this.jumpChain.slice(0, n),
      isGoto: this.isGoto.slice(0, n),
      packets: this.packets.slice(0, n),
      bytes: this.bytes.slice(0, n),
    };
  }
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

/** Parses iptables-save / ip6tables-save output (also `iptables -S` and grep excerpts). */
export function parseIptablesSave(text: string, options: ParseOptions = {}): ParseResult {
  const sink = new DiagnosticSink();
  const store = new RuleStoreBuilder();
  const tables: Table[] = [];
  const targetNames: string[] = [];
  const targetIndex = new Map<string, number>();
  const tok = new TokenBuffer();
  const counters = { p: 0, b: 0 };
  const unknownModules = new Set<string>();

  let current: Table | null = null;
  let skippingTable = false;
  let familyHint: Family | null = null;
  let sawIPv6 = false;
  let sawCR = false;
  const headerless = new Map<TableName, Table>();
  let foreignReported = false;
  let lineNo = 0;
  let pos = 0;
  const len = text.length;

  const openTable = (name: TableName, line: number, column: number, length: number): Table => {
    const t: Table = {
      family: familyHint ?? 4,
      name,
      chains: [],
      chainIndex: new Map(),
      span: { line, column, length },
      committed: false,
    };
    tables.push(t);
    return t;
  };

  const chainOf = (t: Table, name: string, line: number, column: number, length: number): number => {
    let idx = t.chainIndex.get(name);
    if (idx === undefined) {
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
      t.chainIndex.set(name, idx);
    }
    return idx;
  };

  const finishTable = (t: Table) => {
    if (sawIPv6 && familyHint !== 4) t.family = 6;
    sawIPv6 = false;
    resolveJumps(t, tables.indexOf(t));
  };

  const resolveJumps = (t: Table, tableIdx: number) => {
    for (const chain of t.chains) {
      for (const id of chain.rules) {
        if (store.table[id] !== tableIdx) continue;
        const nameId = store.targetName[id];
        if (nameId < 0) continue;
        const name = targetNames[nameId];
        const target = t.chainIndex.get(name);
        if (target !== undefined) {
          store.jumpChain[id] = target;
          if (t.chains[target].builtin) {
            sink.add('error', 'jump-to-builtin', `cannot jump to built-in chain ${name}`, store.line[id], store.column[id], 2);
          }
        } else if (!KNOWN_TARGETS.has(name)) {
          // Unknown name: a chain this input never defines, or a target extension we do not know.
          const headerlessTable = [...headerless.values()].includes(t);
          sink.add(
            headerlessTable ? 'warning' : 'error',
            'undefined-chain',
            `jump to ${name}, which is not a chain in table ${t.name} nor a known target; the walk continues past this rule` +
              (headerlessTable ? ' (the excerpt may not include that chain)' : ''),
            store.line[id],
            store.column[id],
            2,
          );
        }
      }
    }
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
        sink.add('error', 'missing-commit', `*${name} starts while table ${current.name} is still open: COMMIT expected before it`, lineNo, col, e - s);
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
      let j = s + 1;
      while (j < e && !isBlank(text.charCodeAt(j))) j++;
      const name = text.slice(s + 1, j);
      while (j < e && isBlank(text.charCodeAt(j))) j++;
      let k = j;
      while (k < e && !isBlank(text.charCodeAt(k))) k++;
      const policy = text.slice(j, k);
      if (name === '') {
        sink.add('error', 'bad-chain-line', 'chain line without a name', lineNo, col, e - s);
        continue;
      }
      const exists = current.chainIndex.has(name);
      const idx = chainOf(current, name, lineNo, col, e - s);
      const chain = current.chains[idx];
      if (exists && chain.declared) {
        sink.add('warning', 'duplicate-chain', `chain ${name} is declared twice in table ${current.name}`, lineNo, col, e - s);
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
        sink.add('warning', 'policy-on-user-chain', `user chain ${name} cannot have a policy ('${policy}'); ignored`, lineNo, col + (j - s), k - j);
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
          sink.add('error', 'bad-counters', 'rule counters must look like [PACKETS:BYTES]', lineNo, col, Math.min(e - s, 20));
          continue;
        }
        p = counters.p;
        b = counters.b;
        ruleStart = after;
        while (ruleStart < e && isBlank(text.charCodeAt(ruleStart))) ruleStart++;
      }
      let ruleEnd = e;
      let n = tokenize(text, ruleStart, ruleEnd, tok);
      // iptables-save prints an unterminated quoted value across two lines; join them when the next line opens with `"`.
      if (n > 0 && tok.flags[n - 1] & UNTERMINATED) {
        const quoteCol = tok.openQuote - lineStart + 1;
        let next = pos;
        while (next < len && isBlank(text.charCodeAt(next))) next++;
        if (text.charCodeAt(next) === 34) {
          let nextEol = text.indexOf('\n', next);
          if (nextEol < 0) nextEol = len;
          ruleEnd = nextEol;
          while (ruleEnd > next && (isBlank(text.charCodeAt(ruleEnd - 1)) || text.charCodeAt(ruleEnd - 1) === 13)) ruleEnd--;
          n = tokenize(text, ruleStart, ruleEnd, tok);
          pos = nextEol + 1;
          sink.add('warning', 'newline-in-quote', 'a quoted value spans two lines (its closing quote is on the next line)', lineNo, quoteCol, 1);
          lineNo++;
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
          sink.add('error', 'not-iptables-save', foreign, lineNo, col, e - s);
        } else if (!foreign) sink.add('error', 'truncated-rule', 'rule line ends before its chain name', lineNo, col, e - s);
        continue;
      }
      const cmdStart = tok.start[t0];
      const cmdEnd = tok.end[t0];
      const chainTokStart = tok.start[t0 + 1];
      const chainTokEnd = tok.end[t0 + 1];
      const cmd = text.slice(cmdStart, cmdEnd);
      const isAppend = cmd === '-A' || cmd === '--append';
      const isInsert = cmd === '-I' || cmd === '--insert';
      if (!isAppend && !isInsert) {
        if (cmd === '-N' || cmd === '--new-chain' || cmd === '-P' || cmd === '--policy') {
          const table = current ?? pickHeaderless(text.slice(chainTokStart, chainTokEnd), null);
          const idx = chainOf(table, text.slice(chainTokStart, chainTokEnd), lineNo, col, e - s);
          const chain = table.chains[idx];
          chain.declared = true;
          if (cmd === '-P' || cmd === '--policy') {
            const policy = n > t0 + 2 ? text.slice(tok.start[t0 + 2], tok.end[t0 + 2]) : '';
            if (chain.builtin && (policy === 'ACCEPT' || policy === 'DROP')) chain.policy = policy;
            else sink.add('error', 'bad-policy', `cannot set policy '${policy}' on ${chain.name}`, lineNo, col, e - s);
          }
        } else {
          const foreign = recogniseForeign(text.slice(s, e));
          if (foreign) {
            if (!foreignReported) sink.add('error', 'not-iptables-save', foreign, lineNo, col, e - s);
            foreignReported = true;
          } else
            sink.add(
              'warning',
              'unsupported-command',
              `${cmd} is not part of iptables-save output; only -A (and -I, -N, -P) are read, this line is skipped`,
              lineNo,
              col,
              cmdEnd - cmdStart,
            );
        }
        continue;
      }

      const chainName = text.slice(chainTokStart, chainTokEnd);
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
      for (; i < n; i++) {
        const ts = tok.start[i];
        const te = tok.end[i];
        if (tok.flags[i] & QUOTED || text.charCodeAt(ts) !== 45) continue;
        const l = te - ts;
        if (l === 2) {
          const c1 = text.charCodeAt(ts + 1);
          if (c1 === 106 /* j */ || c1 === 103 /* g */) {
            if (i + 1 < n) {
              targetTok = i + 1;
              isGoto = c1 === 103 ? 1 : 0;
            }
          } else if (c1 === 109 /* m */ && i + 1 < n) {
            const mod = text.slice(tok.start[i + 1], tok.end[i + 1]);
            if (!KNOWN_MODULES.has(mod) && !unknownModules.has(mod)) {
              unknownModules.add(mod);
              sink.add(
                'warning',
                'unknown-match',
                `match module '${mod}' is not modelled: the rule is kept as written and the simulator says where it assumes`,
                lineNo,
                tok.start[i + 1] - lineStart + 1,
                mod.length,
              );
            }
          } else if ((c1 === 115 || c1 === 100) && i + 1 < n && !sawIPv6) {
            if (text.indexOf(':', tok.start[i + 1]) < tok.end[i + 1] && text.indexOf(':', tok.start[i + 1]) >= 0)
              sawIPv6 = true;
          }
        } else if (l === 6 && (tokenIs(text, ts, te, '--jump') || tokenIs(text, ts, te, '--goto'))) {
          if (i + 1 < n) {
            targetTok = i + 1;
            isGoto = text.charCodeAt(ts + 2) === 103 ? 1 : 0;
          }
        }
      }

      const table = current ?? pickHeaderless(chainName, targetTok >= 0 ? text.slice(tok.start[targetTok], tok.end[targetTok]) : null);
      const chainIdx = chainOf(table, chainName, lineNo, col, e - s);
      const chain = table.chains[chainIdx];
      if (current && !chain.declared && chain.rules.length === 0) {
        sink.add(
          'warning',
          'undeclared-chain',
          `chain ${chainName} gets rules but has no ':${chainName}' line in table ${table.name}`,
          lineNo,
          chainTokStart - lineStart + 1,
          chainName.length,
        );
      }
      const id = store.push();
      store.table[id] = tables.indexOf(table);
      store.chain[id] = chainIdx;
      store.start[id] = cmdStart;
      store.end[id] = ruleEnd;
      store.line[id] = lineNo;
      store.column[id] = cmdStart - lineStart + 1;
      store.jumpChain[id] = -1;
      store.isGoto[id] = isGoto;
      store.packets[id] = p;
      store.bytes[id] = b;
      if (targetTok >= 0) {
        const name = tokenValue(text, tok.start[targetTok], tok.end[targetTok], tok.flags[targetTok]);
        let nameId = targetIndex.get(name);
        if (nameId === undefined) {
          nameId = targetNames.length;
          targetNames.push(name);
          targetIndex.set(name, nameId);
        }
        store.targetName[id] = nameId;
      } else store.targetName[id] = -1;
      if (insertAt > 0 && insertAt <= chain.rules.length) {
        chain.rules.splice(insertAt - 1, 0, id);
        for (let r = 0; r < chain.rules.length; r++) store.position[chain.rules[r]] = r + 1;
      } else {
        chain.rules.push(id);
        store.position[id] = chain.rules.length;
      }
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
    sink.add('error', 'missing-commit', `COMMIT expected at line ${lineNo + 1}: table ${current.name} is never committed (its rules are still shown)`, lineNo + 1, 1, 1);
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
  if (sawCR) sink.add('info', 'crlf', 'the text has Windows (CRLF) line endings; they were ignored (iptables-restore itself would reject them)', 1, 1, 1);

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
