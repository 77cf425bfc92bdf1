import type {
  AddrMatch,
  BitsMatch,
  Chain,
  Cidr,
  Diagnostic,
  Family,
  IfaceMatch,
  IpsetRef,
  MarkShift,
  Match,
  NatRange,
  PortMatch,
  PortRange,
  Rule,
  Ruleset,
  SourceSpan,
  Table,
  TableName,
  Target,
} from '../model';
import { parseCidr, parseIp } from './address';
import { DiagnosticSink } from './diagnostics';
import { optionValues } from './option-values';
import { type TargetWords, targetOption, targetValue } from './target-words';
import { QUOTED, TokenBuffer, tokenize, tokenValue } from './tokenize';
import {
  ADDRTYPES,
  CONTINUE_TARGETS,
  CT_STATES,
  CT_STATUS,
  ICMP_TYPES,
  ICMP6_TYPES,
  KNOWN_MODULES,
  PROTOCOLS,
  SERVICES,
  TCP_FLAGS,
} from './vocabulary';

// Decodes one rule's text into a Rule: generic options, then `-m` modules in
// order, then the target. Bad values become diagnostics and the match is kept
// as `unknown` (the simulator then says it assumed), so a rule always loads.

const shared = new TokenBuffer();

class BadValue extends Error {}

/** Reads a rule's tokens left to right. */
class Reader {
  i = 0;
  constructor(
    readonly text: string,
    readonly buf: TokenBuffer,
    readonly n: number,
  ) {}
  more(): boolean {
    return this.i < this.n;
  }
  peekRaw(): string {
    return this.text.slice(this.buf.start[this.i], this.buf.end[this.i]);
  }
  quoted(): boolean {
    return (this.buf.flags[this.i] & QUOTED) !== 0;
  }
  /** The next token's value; throws BadValue when the rule ends. */
  value(what: string): string {
    if (this.i >= this.n) throw new BadValue(`${what} is missing its value`);
    const v = tokenValue(this.text, this.buf.start[this.i], this.buf.end[this.i], this.buf.flags[this.i]);
    this.i++;
    return v;
  }
  /** True if the next token is an unquoted option or `!` (so not a value). */
  atOption(): boolean {
    if (this.i >= this.n || this.quoted()) return false;
    const c = this.text.charCodeAt(this.buf.start[this.i]);
    return c === 45 || (c === 33 && this.buf.end[this.i] - this.buf.start[this.i] === 1);
  }
}

function bad(message: string): never {
  throw new BadValue(message);
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function isHex(text: string): boolean {
  if (text.length < 3 || text.charCodeAt(0) !== 48 || (text.charCodeAt(1) | 32) !== 120) return false;
  for (let i = 2; i < text.length; i++) {
    const c = text.charCodeAt(i) | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function parseNumber(text: string, what: string): number {
  const v = isHex(text) ? Number.parseInt(text, 16) : isDigits(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v) || v > 0xffffffff) bad(`${what}: '${text}' is not a number`);
  return v;
}

function parsePort(text: string): number {
  if (isDigits(text)) {
    const v = Number(text);
    if (v > 65535) bad(`port ${text} is out of range (0–65535)`);
    return v;
  }
  const s = SERVICES[text];
  if (s === undefined) bad(`unknown port or service name '${text}'`);
  return s;
}

function parsePortRange(text: string, sep = ':'): PortRange {
  const k = text.indexOf(sep);
  if (k < 0) {
    const p = parsePort(text);
    return { lo: p, hi: p };
  }
  const lo = k === 0 ? 0 : parsePort(text.slice(0, k));
  const hi = k === text.length - 1 ? 65535 : parsePort(text.slice(k + 1));
  if (lo > hi) bad(`port range ${text} is backwards`);
  return { lo, hi };
}

/** `V[/M]` as mark, connmark and MARK print them; mask defaults to 0xffffffff. */
function parseValueMask(text: string, what: string): { value: number; mask: number; hasMask: boolean } {
  const k = text.indexOf('/');
  if (k < 0) return { value: parseNumber(text, what), mask: 0xffffffff, hasMask: false };
  return { value: parseNumber(text.slice(0, k), what), mask: parseNumber(text.slice(k + 1), what), hasMask: true };
}

function parseAddr(text: string, family: Family, what: string): Cidr {
  const c = parseCidr(text);
  if (!c) bad(`${what}: '${text}' is not an address or CIDR`);
  if (c.family !== family) bad(`${what}: ${text} is an IPv${c.family} address in an IPv${family} table`);
  return c;
}

function parseBits(text: string, names: Readonly<Record<string, number>>, what: string): number {
  let bits = 0;
  for (const word of text.split(',')) {
    const b = names[word.toUpperCase()];
    if (b === undefined) bad(`${what}: unknown value '${word}' (one of ${Object.keys(names).join(', ')})`);
    bits |= b;
  }
  return bits;
}

function parseIface(text: string, invert: boolean): IfaceMatch {
  if (text.length > 16) bad(`interface name '${text}' is longer than 15 characters`);
  const wildcard = text.endsWith('+');
  return { name: wildcard ? text.slice(0, -1) : text, wildcard, invert };
}

/** `A[-B][:P[-Q]]`, `[v6]:P`, `:P` → NatRange. */
function parseNatRange(text: string, family: Family): NatRange {
  let addr = text;
  let ports = '';
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) bad(`'${text}' has no closing ]`);
    addr = text.slice(1, close);
    ports = text.slice(close + 1).replace(/^:/, '');
  } else if (family === 4 || text.startsWith(':')) {
    const k = text.indexOf(':');
    if (k >= 0) {
      addr = text.slice(0, k);
      ports = text.slice(k + 1);
    }
  }
  const range: NatRange = {};
  if (addr !== '') {
    const dash = addr.indexOf('-');
    const from = dash < 0 ? addr : addr.slice(0, dash);
    const to = dash < 0 ? addr : addr.slice(dash + 1);
    if (!parseIp(from) || (to !== from && !parseIp(to))) bad(`'${addr}' is not an address or address range`);
    range.addrFrom = from;
    range.addrTo = to;
  }
  if (ports !== '') {
    const r = parsePortRange(ports.split('/')[0], '-');
    range.portFrom = r.lo;
    range.portTo = r.hi;
  }
  return range;
}

type Builder = Match & { [k: string]: unknown };

function newMatch(module: string, family: Family): Match | null {
  switch (module) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
    case 'dccp':
      return { kind: module };
    case 'icmp':
      return { kind: 'icmp', family: 4, invert: false, type: 'any' };
    case 'icmp6':
    case 'icmpv6':
      return { kind: 'icmp', family: 6, invert: false, type: 'any' };
    case 'multiport':
      return { kind: 'multiport', dir: 'any', ports: [], invert: false };
    case 'comment':
      return { kind: 'comment', text: '' };
    case 'addrtype':
      return { kind: 'addrtype', limitIfaceIn: false, limitIfaceOut: false };
    case 'statistic':
      return { kind: 'statistic', mode: 'random', probability: 1, invert: false };
    case 'mark':
    case 'connmark':
      return { kind: module, value: 0, mask: 0xffffffff, invert: false };
    case 'conntrack':
      return { kind: 'conntrack' };
    case 'state':
      return { kind: 'state', states: { bits: 0, invert: false } };
    case 'recent':
      return {
        kind: 'recent',
        mode: 'set',
        invert: false,
        name: 'DEFAULT',
        reap: false,
        rttl: false,
        side: 'source',
        mask: family === 4 ? '255.255.255.255' : 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      };
    case 'set':
      return { kind: 'set', name: '', flags: [], invert: false, returnNomatch: false };
    case 'physdev':
      return { kind: 'physdev' };
    case 'ipvs':
      return { kind: 'ipvs' };
    case 'mac':
      return { kind: 'mac', mac: '', invert: false };
    case 'iprange':
      return { kind: 'iprange' };
    case 'owner':
      return { kind: 'owner', supplGroups: false };
    case 'pkttype':
      return { kind: 'pkttype', type: 'unicast', invert: false };
    case 'limit':
    case 'hashlimit':
      return { kind: 'limit', rate: '3/hour', burst: 5 };
    case 'length':
      return { kind: 'length', range: { lo: 0, hi: 65535 }, invert: false };
    case 'nfacct':
      return { kind: 'fixed', module, text: '', matches: true, why: 'nfacct only counts packets' };
    case 'connlimit':
      return { kind: 'fixed', module, text: '', matches: true, why: 'the first connection is within any connlimit' };
    default:
      return null;
  }
}

/** Applies one `--option` to the match being built. Returns false if the module has no such option. */
function applyOption(m: Builder, opt: string, r: Reader, invert: boolean, family: Family): boolean {
  const name = opt.startsWith('--') ? opt.slice(2) : opt;
  switch (m.kind) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
    case 'dccp': {
      if (name === 'sport' || name === 'source-port') {
        m.sport = { ...parsePortRange(r.value(opt)), invert } satisfies PortMatch;
        return true;
      }
      if (name === 'dport' || name === 'destination-port') {
        m.dport = { ...parsePortRange(r.value(opt)), invert } satisfies PortMatch;
        return true;
      }
      if (m.kind === 'tcp' && name === 'tcp-flags') {
        const mask = parseBits(r.value(opt), TCP_FLAGS, opt);
        const comp = parseBits(r.value(opt), TCP_FLAGS, opt);
        m.tcpFlags = { mask, comp, invert };
        return true;
      }
      if (m.kind === 'tcp' && name === 'syn') {
        m.tcpFlags = { mask: 1 | 2 | 4 | 16, comp: 2, invert };
        return true;
      }
      if (m.kind === 'tcp' && name === 'tcp-option') {
        m.tcpOption = { option: parseNumber(r.value(opt), opt), invert };
        return true;
      }
      if (m.kind === 'sctp' && name === 'chunk-types') {
        m.extra = `${invert ? '! ' : ''}--chunk-types ${r.value(opt)} ${r.value(opt)}`;
        return true;
      }
      return false;
    }
    case 'icmp': {
      if (name !== 'icmp-type' && name !== 'icmpv6-type') return false;
      const v = r.value(opt);
      const table = m.family === 4 ? ICMP_TYPES : ICMP6_TYPES;
      const named = table[v];
      m.invert = invert;
      if (named) {
        m.type = named[0] < 0 ? 'any' : named[0];
        if (named[1] !== undefined) m.code = named[1];
      } else {
        const [t, c] = v.split('/');
        m.type = parseNumber(t, opt);
        if (c !== undefined) m.code = parseNumber(c, opt);
      }
      return true;
    }
    case 'multiport': {
      const dir =
        name === 'dports' || name === 'destination-ports'
          ? 'dst'
          : name === 'sports' || name === 'source-ports'
            ? 'src'
            : name === 'ports'
              ? 'any'
              : null;
      if (!dir) return false;
      m.dir = dir;
      m.invert = invert;
      m.ports = r
        .value(opt)
        .split(',')
        .map((p) => parsePortRange(p));
      if (m.ports.length > 15) bad('multiport takes at most 15 ports');
      return true;
    }
    case 'comment':
      if (name !== 'comment') return false;
      m.text = m.text ? `${m.text} ${r.value(opt)}` : r.value(opt);
      return true;
    case 'addrtype':
      if (name === 'src-type') m.src = { bits: parseBits(r.value(opt), ADDRTYPES, opt), invert } satisfies BitsMatch;
      else if (name === 'dst-type') m.dst = { bits: parseBits(r.value(opt), ADDRTYPES, opt), invert };
      else if (name === 'limit-iface-in') m.limitIfaceIn = true;
      else if (name === 'limit-iface-out') m.limitIfaceOut = true;
      else return false;
      return true;
    case 'statistic': {
      if (name === 'mode') {
        const mode = r.value(opt);
        if (mode === 'nth') Object.assign(m, { mode: 'nth', every: 1, packet: 0 });
        else if (mode !== 'random') bad(`statistic --mode must be random or nth, not '${mode}'`);
        return true;
      }
      if (name === 'probability') {
        const p = Number(r.value(opt));
        if (!(p >= 0 && p <= 1)) bad('--probability must be between 0 and 1');
        // The kernel keeps round(p·2^31) (xt_statistic.c); so does chainwalk, to agree with it exactly.
        Object.assign(m, { mode: 'random', probability: Math.round(p * 0x80000000) / 0x80000000, invert });
        return true;
      }
      if (name === 'every') {
        Object.assign(m, { every: parseNumber(r.value(opt), opt), invert: invert || (m.invert as boolean) });
        return true;
      }
      if (name === 'packet') {
        Object.assign(m, { packet: parseNumber(r.value(opt), opt) });
        return true;
      }
      return false;
    }
    case 'mark':
    case 'connmark': {
      if (name !== 'mark') return false;
      const vm = parseValueMask(r.value(opt), opt);
      m.value = vm.value;
      m.mask = vm.mask;
      m.invert = invert;
      return true;
    }
    case 'conntrack': {
      switch (name) {
        case 'ctstate':
          m.ctstate = { bits: parseBits(r.value(opt), CT_STATES, opt), invert };
          return true;
        case 'ctstatus':
          m.ctstatus = { bits: parseBits(r.value(opt), CT_STATUS, opt), invert };
          return true;
        case 'ctproto': {
          const p = r.value(opt);
          const num = PROTOCOLS[p.toLowerCase()] ?? parseNumber(p, opt);
          m.ctproto = { proto: num, invert };
          return true;
        }
        case 'ctorigsrc':
        case 'ctorigdst':
        case 'ctreplsrc':
        case 'ctrepldst':
          m[name] = { cidr: parseAddr(r.value(opt), family, opt), invert } satisfies AddrMatch;
          return true;
        case 'ctorigsrcport':
        case 'ctorigdstport':
        case 'ctreplsrcport':
        case 'ctrepldstport':
          m[name] = { ...parsePortRange(r.value(opt)), invert } satisfies PortMatch;
          return true;
        case 'ctdir': {
          const d = r.value(opt).toUpperCase();
          if (d !== 'ORIGINAL' && d !== 'REPLY') bad('--ctdir must be ORIGINAL or REPLY');
          m.ctdir = d;
          return true;
        }
        case 'ctexpire':
          m.unmodelled = `${m.unmodelled ?? ''}${invert ? '! ' : ''}--ctexpire ${r.value(opt)}`.trim();
          return true;
      }
      return false;
    }
    case 'state':
      if (name !== 'state') return false;
      m.states = { bits: parseBits(r.value(opt), CT_STATES, opt), invert };
      return true;
    case 'recent':
      switch (name) {
        case 'set':
        case 'rcheck':
        case 'update':
        case 'remove':
          m.mode = name;
          m.invert = invert;
          return true;
        case 'seconds':
          m.seconds = parseNumber(r.value(opt), opt);
          return true;
        case 'hitcount':
          m.hitcount = parseNumber(r.value(opt), opt);
          return true;
        case 'reap':
          m.reap = true;
          return true;
        case 'rttl':
          m.rttl = true;
          return true;
        case 'name':
          m.name = r.value(opt);
          return true;
        case 'mask':
          m.mask = r.value(opt);
          return true;
        case 'rsource':
          m.side = 'source';
          return true;
        case 'rdest':
          m.side = 'dest';
          return true;
      }
      return false;
    case 'ipvs':
      // libxt_ipvs.c: --ipvs, --vproto, --vaddr ADDR[/MASK], --vport, --vportctl, --vdir, --vmethod.
      switch (name) {
        case 'ipvs':
          m.property = { invert };
          return true;
        case 'vproto':
        case 'proto': {
          const p = r.value(opt);
          m.vproto = { proto: PROTOCOLS[p.toLowerCase()] ?? parseNumber(p, opt), invert };
          return true;
        }
        case 'vaddr':
          m.vaddr = { cidr: parseAddr(r.value(opt), family, opt), invert };
          return true;
        case 'vport':
        case 'vportctl': {
          const port = parseNumber(r.value(opt), opt);
          m[name] = { port, invert };
          return true;
        }
        case 'vdir': {
          const dir = r.value(opt).toUpperCase();
          if (dir !== 'ORIGINAL' && dir !== 'REPLY') bad(`--vdir is ORIGINAL or REPLY, not '${dir}'`);
          m.vdir = dir as 'ORIGINAL' | 'REPLY';
          return true;
        }
        case 'vmethod': {
          const method = r.value(opt).toUpperCase();
          if (method !== 'GATE' && method !== 'IPIP' && method !== 'MASQ')
            bad(`--vmethod is GATE, IPIP or MASQ, not '${method}'`);
          m.vmethod = { method: method as 'GATE' | 'IPIP' | 'MASQ', invert };
          return true;
        }
        default:
          return false;
      }
    case 'set':
      switch (name) {
        case 'match-set':
        case 'set': {
          m.name = r.value(opt);
          const flags = r.value(opt).split(',');
          for (const f of flags) if (f !== 'src' && f !== 'dst') bad(`set flags are src or dst, not '${f}'`);
          m.flags = flags as ('src' | 'dst')[];
          m.invert = invert;
          return true;
        }
        case 'return-nomatch':
          m.returnNomatch = true;
          return true;
        case 'update-counters':
        case 'update-subcounters':
          return true;
        case 'packets-eq':
        case 'packets-lt':
        case 'packets-gt':
        case 'bytes-eq':
        case 'bytes-lt':
        case 'bytes-gt':
          m.counters = `${m.counters ?? ''} ${invert ? '! ' : ''}${opt} ${r.value(opt)}`.trim();
          return true;
      }
      return false;
    case 'physdev':
      switch (name) {
        case 'physdev-in':
          m.in = parseIface(r.value(opt), invert);
          return true;
        case 'physdev-out':
          m.out = parseIface(r.value(opt), invert);
          return true;
        case 'physdev-is-in':
          m.isIn = { invert };
          return true;
        case 'physdev-is-out':
          m.isOut = { invert };
          return true;
        case 'physdev-is-bridged':
          m.isBridged = { invert };
          return true;
      }
      return false;
    case 'mac':
      if (name !== 'mac-source') return false;
      m.mac = r.value(opt).toLowerCase();
      if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m.mac)) bad(`'${m.mac}' is not a MAC address`);
      m.invert = invert;
      return true;
    case 'iprange': {
      if (name !== 'src-range' && name !== 'dst-range') return false;
      const [a, b] = r.value(opt).split('-');
      const range = { from: parseAddr(a, family, opt), to: parseAddr(b ?? a, family, opt), invert };
      if (name === 'src-range') m.src = range;
      else m.dst = range;
      return true;
    }
    case 'owner': {
      if (name === 'uid-owner' || name === 'gid-owner') {
        const v = r.value(opt);
        const [lo, hi] = v.split('-');
        if (!/^\d+$/.test(lo) || (hi !== undefined && !/^\d+$/.test(hi)))
          bad(`${opt} '${v}': user and group names are resolved on the node; use the number`);
        const range = { lo: Number(lo), hi: Number(hi ?? lo), invert };
        if (name === 'uid-owner') m.uid = range;
        else m.gid = range;
        return true;
      }
      if (name === 'socket-exists') {
        m.socketExists = { invert };
        return true;
      }
      if (name === 'suppl-groups') {
        m.supplGroups = true;
        return true;
      }
      return false;
    }
    case 'pkttype': {
      if (name !== 'pkt-type') return false;
      const t = r.value(opt).toLowerCase();
      if (!['unicast', 'broadcast', 'multicast', 'host', 'otherhost'].includes(t)) bad(`unknown --pkt-type '${t}'`);
      m.type = t as 'unicast';
      m.invert = invert;
      return true;
    }
    case 'limit':
      if (name === 'limit' || name === 'hashlimit-upto' || name === 'hashlimit') m.rate = r.value(opt);
      else if (name === 'limit-burst' || name === 'hashlimit-burst') m.burst = parseNumber(r.value(opt), opt);
      else if (name === 'hashlimit-above') {
        // The first packet is never above a rate.
        Object.assign(m, {
          kind: 'fixed',
          module: 'hashlimit',
          text: '',
          matches: false,
          why: 'the first packet is not above any rate',
        });
        r.value(opt);
      } else if (name.startsWith('hashlimit-')) {
        if (!['hashlimit-srcmask', 'hashlimit-dstmask'].includes(name) || !r.atOption()) r.value(opt);
      } else return false;
      return true;
    case 'length':
      if (name !== 'length') return false;
      m.range = parsePortRange(r.value(opt));
      m.invert = invert;
      return true;
    case 'fixed':
      if (m.module === 'connlimit' && name === 'connlimit-above') {
        m.matches = invert;
        m.why = invert ? 'the first connection is within the limit' : 'the first connection is not above the limit';
      }
      // nfacct / connlimit options: read their value if they have one.
      if (!r.atOption() && r.more()) r.value(opt);
      return true;
  }
  return false;
}

/**
 * CONNMARK's `--left-shift-mark N` / `--right-shift-mark N`; the last one written wins.
 * libxt_CONNMARK.c takes 0 to 32, but the kernel refuses 32 (xt_connmark.c connmark_tg_check:
 * `shift_bits >= 32` is -EINVAL; iptables-nft-restore 1.8.9 on 6.18 failed with RULE_APPEND).
 */
function markShift(
  get: (option: string) => string | undefined,
  has: (option: string) => boolean,
): MarkShift | undefined {
  let shift: MarkShift | undefined;
  for (const dir of ['left', 'right'] as const) {
    const option = `--${dir}-shift-mark`;
    if (!has(option)) continue;
    const bits = parseNumber(get(option) ?? '', option);
    if (bits > 31) bad(`${option} ${bits}: the kernel refuses a shift of 32 or more, so iptables-restore fails here`);
    shift = { dir, bits };
  }
  return shift && shift.bits > 0 ? shift : undefined;
}

/**
 * MARK's or CONNMARK's operation, as `new = (old & ~mask) ^ value` (xt_mark.c, xt_connmark.c) or a
 * CONNMARK save/restore with its masks, and CONNMARK's shift. libxt_MARK.c turns --set-mark V/M
 * into V/(M|V).
 */
function markTarget(
  name: 'MARK' | 'CONNMARK',
  get: (option: string) => string | undefined,
  has: (option: string) => boolean,
): Target {
  const shift = name === 'CONNMARK' ? markShift(get, has) : undefined;
  let value = 0;
  let mask = 0xffffffff;
  const xm = get('--set-xmark');
  const sm = get('--set-mark');
  if (xm !== undefined) ({ value, mask } = parseValueMask(xm, '--set-xmark'));
  else if (sm !== undefined) {
    const vm = parseValueMask(sm, '--set-mark');
    value = vm.value;
    mask = (vm.mask | vm.value) >>> 0;
  } else if (get('--and-mark') !== undefined) {
    value = 0;
    mask = ~parseNumber(get('--and-mark') as string, '--and-mark') >>> 0;
  } else if (get('--or-mark') !== undefined) {
    value = parseNumber(get('--or-mark') as string, '--or-mark');
    mask = value;
  } else if (get('--xor-mark') !== undefined) {
    value = parseNumber(get('--xor-mark') as string, '--xor-mark');
    mask = 0;
  } else if (name === 'CONNMARK' && (has('--save-mark') || has('--restore-mark'))) {
    const common = get('--mask');
    const nf = get('--nfmask') ?? common;
    const ct = get('--ctmask') ?? common;
    return {
      kind: 'connmark',
      op: has('--save-mark') ? 'save' : 'restore',
      nfmask: nf === undefined ? 0xffffffff : parseNumber(nf, '--nfmask'),
      ctmask: ct === undefined ? 0xffffffff : parseNumber(ct, '--ctmask'),
      ...(shift ? { shift } : {}),
    };
  } else bad(`${name} needs --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark`);
  return name === 'MARK'
    ? { kind: 'mark', value, mask }
    : { kind: 'connmark', op: 'set', value, mask, ...(shift ? { shift } : {}) };
}

/** The MARK or CONNMARK operation a rule's written target decodes to (as the simulator applies it), or null. */
export function markTargetOf(words: TargetWords): Target | null {
  if (words.name !== 'MARK' && words.name !== 'CONNMARK') return null;
  try {
    return markTarget(
      words.name,
      (k) => targetValue(words, k),
      (k) => targetOption(words, k) !== undefined,
    );
  } catch (e) {
    if (e instanceof BadValue) return null;
    throw e;
  }
}

/**
 * A target's options: each takes as many values as its extension says (option-values.ts), the
 * first whatever it looks like, as getopt gives it (`--log-prefix --x`); the second of a two-value
 * option (`--add-set NAME src,dst`) may not look like an option (libxt_SET.c refuses it). An option
 * the table does not know (a hand-written abbreviation, `--to`) takes a value when one follows.
 */
function readTargetOptions(name: string, r: Reader): { values: Map<string, string[]>; flags: Set<string> } {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  while (r.more()) {
    const raw = r.peekRaw();
    if (!r.quoted() && (raw === '-m' || raw === '--match')) break;
    r.i++;
    if (!raw.startsWith('--')) bad(`unexpected '${raw}' after -j ${name}`);
    const count = optionValues(raw, name);
    if (count === 0) {
      if (r.atOption() || !r.more()) flags.add(raw);
      else values.set(raw, [r.value(raw)]);
      continue;
    }
    const first = r.value(raw);
    if (count === 1) {
      values.set(raw, [first]);
      continue;
    }
    if (r.atOption()) bad(`${raw} takes two values (${raw} ${first} …), not '${r.peekRaw()}'`);
    values.set(raw, [first, r.value(raw)]);
  }
  return { values, flags };
}

function parseTarget(name: string, r: Reader, family: Family, table: Table): Target {
  const textStart = r.i;
  const { values: opts, flags } = readTargetOptions(name, r);
  const text = rawBetween(r, textStart);
  const get = (k: string) => opts.get(k)?.[0];
  switch (name) {
    case 'ACCEPT':
      return { kind: 'accept' };
    case 'DROP':
      return { kind: 'drop' };
    case 'RETURN':
      return { kind: 'return' };
    case 'REJECT':
      return {
        kind: 'reject',
        with: get('--reject-with') ?? (family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable'),
      };
    case 'MARK':
    case 'CONNMARK':
      return markTarget(name, get, (k) => flags.has(k) || opts.has(k));
    case 'DNAT':
    case 'SNAT': {
      const to = get(name === 'DNAT' ? '--to-destination' : '--to-source') ?? get('--to');
      if (to === undefined) bad(`${name} needs ${name === 'DNAT' ? '--to-destination' : '--to-source'}`);
      if (table.name !== 'nat') bad(`${name} is only valid in the nat table`);
      return {
        kind: name === 'DNAT' ? 'dnat' : 'snat',
        range: parseNatRange(to, family),
        random: flags.has('--random'),
        randomFully: flags.has('--random-fully'),
        persistent: flags.has('--persistent'),
      };
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      if (table.name !== 'nat') bad(`${name} is only valid in the nat table`);
      const ports = get('--to-ports');
      return {
        kind: name === 'MASQUERADE' ? 'masquerade' : 'redirect',
        ports: ports === undefined ? undefined : parsePortRange(ports, '-'),
        random: flags.has('--random'),
        randomFully: flags.has('--random-fully'),
      };
    }
    case 'NETMAP': {
      // libipt_NETMAP.c: `--to A[/M]`, the mask as a prefix length or dotted (holes allowed).
      const to = get('--to');
      if (to === undefined) bad('NETMAP needs --to ADDRESS[/MASK]');
      if (table.name !== 'nat') bad('NETMAP is only valid in the nat table');
      return { kind: 'netmap', to: parseAddr(to, family, '--to') };
    }
    case 'LOG': {
      const level = get('--log-level');
      return { kind: 'log', prefix: get('--log-prefix'), level: level === undefined ? undefined : Number(level) };
    }
    case 'NFLOG':
      return { kind: 'nflog', prefix: get('--nflog-prefix'), group: Number(get('--nflog-group') ?? 0) };
    case 'TRACE':
      return { kind: 'trace' };
    case 'NOTRACK':
      return { kind: 'notrack' };
    case 'CT':
      return { kind: 'ct', notrack: flags.has('--notrack'), text };
    case 'SET':
      return setTarget(opts, flags);
  }
  if (CONTINUE_TARGETS.has(name)) return { kind: 'continue', name, text };
  return { kind: 'unknown', name, text };
}

/** `--add-set NAME FLAGS` and its kin (libxt_SET.c): the flags are src/dst, one per dimension, at most six. */
function ipsetRef(option: string, values: string[] | undefined): IpsetRef | undefined {
  if (values === undefined) return undefined;
  const [name, list = ''] = values;
  const flags = list.split(',');
  for (const f of flags) if (f !== 'src' && f !== 'dst') bad(`${option} ${name}: flags are src or dst, not '${f}'`);
  if (flags.length > 6) bad(`${option} ${name}: at most 6 flags (IPSET_DIM_MAX)`);
  return { name, flags: flags as ('src' | 'dst')[] };
}

function setTarget(opts: Map<string, string[]>, flags: Set<string>): Target {
  const add = ipsetRef('--add-set', opts.get('--add-set'));
  const del = ipsetRef('--del-set', opts.get('--del-set'));
  const map = ipsetRef('--map-set', opts.get('--map-set'));
  if (!add && !del && !map) bad('SET needs --add-set, --del-set or --map-set');
  const timeout = opts.get('--timeout')?.[0];
  return {
    kind: 'set',
    ...(add ? { add } : {}),
    ...(del ? { del } : {}),
    ...(map ? { map } : {}),
    exist: flags.has('--exist'),
    ...(timeout !== undefined ? { timeout: parseNumber(timeout, '--timeout') } : {}),
    mapMark: flags.has('--map-mark'),
    mapPrio: flags.has('--map-prio'),
    mapQueue: flags.has('--map-queue'),
  };
}

function rawBetween(r: Reader, from: number): string {
  if (from >= r.i) return '';
  return r.text.slice(r.buf.start[from], r.buf.end[r.i - 1]);
}

function span(ruleset: Ruleset, id: number): SourceSpan {
  const rs = ruleset.rules;
  return { line: rs.line[id], column: rs.column[id], length: rs.end[id] - rs.start[id] };
}

/**
 * Decodes rule `id`. Problems go to `sink` when given; the Rule always comes
 * back, with anything unreadable kept as an `unknown` match or target.
 */
export function decodeRule(ruleset: Ruleset, id: number, sink?: DiagnosticSink): Rule {
  const rs = ruleset.rules;
  const text = ruleset.text;
  const table = ruleset.tables[rs.table[id]];
  const family = table.family;
  const start = rs.start[id];
  const end = rs.end[id];
  const n = tokenize(text, start, end, shared);
  const r = new Reader(text, shared, n);
  const lineStart = start - (rs.column[id] - 1);
  const report = (message: string, tokenIndex: number) => {
    if (!sink) return;
    const k = Math.min(Math.max(tokenIndex, 0), n - 1);
    const a = shared.start[k];
    sink.add('error', 'bad-option', message, rs.line[id], a - lineStart + 1, shared.end[k] - a);
  };

  const rule: Rule = {
    id,
    table: rs.table[id],
    chain: rs.chain[id],
    position: rs.position[id],
    span: span(ruleset, id),
    text: text.slice(start, end),
    matches: [],
    target: { kind: 'none' },
  };

  // Skip `-4`/`-6`, `-A`/`-I`, the chain name and an insert position.
  if (r.peekRaw() === '-4' || r.peekRaw() === '-6') r.i++;
  const insert = r.peekRaw() === '-I' || r.peekRaw() === '--insert';
  r.i += 2;
  if (insert && r.more() && /^\d+$/.test(r.peekRaw())) r.i++;

  let current: Builder | null = null;
  let currentStartTok = -1;
  let invert = false;
  const comments: string[] = [];

  const closeMatch = () => {
    if (current) {
      if (current.kind === 'fixed') current.text = rawBetween(r, currentStartTok);
      if (current.kind === 'comment') comments.push(current.text);
      rule.matches.push(current);
    }
    current = null;
  };

  const unknownModule = (module: string, fromTok: number) => {
    // Keep the raw slice up to the next -m/-j/-g (not a value: `--string -j` is the string).
    while (r.more()) {
      const raw = r.peekRaw();
      const quoted = r.quoted();
      if (
        !quoted &&
        (raw === '-m' || raw === '--match' || raw === '-j' || raw === '--jump' || raw === '-g' || raw === '--goto')
      )
        break;
      r.i++;
      if (!quoted && raw.startsWith('--') && r.more() && optionValues(raw, module) > 0) r.i++;
    }
    rule.matches.push({ kind: 'unknown', module, text: rawBetween(r, fromTok) });
  };

  while (r.more()) {
    const tokIndex = r.i;
    const raw = r.peekRaw();
    const quoted = r.quoted();
    try {
      if (!quoted && raw === '!') {
        r.i++;
        invert = true;
        continue;
      }
      r.i++;
      if (quoted || raw.charCodeAt(0) !== 45) bad(`unexpected '${raw}': expected an option`);
      const wasInvert = invert;
      invert = false;
      switch (raw) {
        case '-s':
        case '--source':
        case '--src':
          rule.src = { cidr: parseAddr(r.value(raw), family, raw), invert: wasInvert };
          continue;
        case '-d':
        case '--destination':
        case '--dst':
          rule.dst = { cidr: parseAddr(r.value(raw), family, raw), invert: wasInvert };
          continue;
        case '-i':
        case '--in-interface':
          rule.inIface = parseIface(r.value(raw), wasInvert);
          continue;
        case '-o':
        case '--out-interface':
          rule.outIface = parseIface(r.value(raw), wasInvert);
          continue;
        case '-p':
        case '--protocol': {
          const p = r.value(raw).toLowerCase();
          const num = PROTOCOLS[p] ?? (/^\d+$/.test(p) && Number(p) <= 255 ? Number(p) : -1);
          if (num < 0) bad(`unknown protocol '${p}'`);
          rule.proto = { proto: num, name: p, invert: wasInvert };
          continue;
        }
        case '-f':
        case '--fragment':
          rule.fragment = { invert: wasInvert };
          continue;
        case '-c':
        case '--set-counters':
          r.value(raw);
          r.value(raw);
          continue;
        case '-m':
        case '--match': {
          closeMatch();
          const module = r.value(raw);
          currentStartTok = r.i;
          const m = KNOWN_MODULES.has(module) ? newMatch(module, family) : null;
          if (!m) unknownModule(module, tokIndex);
          else current = m as Builder;
          continue;
        }
        case '-j':
        case '--jump':
        case '-g':
        case '--goto': {
          closeMatch();
          const isGoto = raw === '-g' || raw === '--goto';
          // The scanner already resolved jumps to user chains: reuse its answer (and the chain's own name string).
          const jumpChain = rs.jumpChain[id];
          const name = jumpChain >= 0 ? table.chains[jumpChain].name : r.value(raw);
          if (jumpChain >= 0) r.i++;
          if (isGoto || jumpChain >= 0) {
            rule.target = isGoto ? { kind: 'goto', chain: name } : { kind: 'jump', chain: name };
            if (r.more() && !(r.peekRaw() === '-m' || r.peekRaw() === '--match'))
              bad(`a jump to chain ${name} takes no options`);
          } else {
            const targetTok = r.i;
            try {
              rule.target = parseTarget(name, r, family, table);
            } catch (e) {
              if (!(e instanceof BadValue)) throw e;
              report(`${name}: ${e.message}`, targetTok - 1);
              while (r.more() && !(r.peekRaw() === '-m' || r.peekRaw() === '--match')) r.i++;
              rule.target = { kind: 'unknown', name, text: rawBetween(r, targetTok) };
            }
          }
          continue;
        }
      }
      // A module option. Implicit protocol modules (`-p tcp --dport 80`) are created on first use.
      if (!current || !applyOption(current, raw, r, wasInvert, family)) {
        const implicit = rule.proto
          ? newMatch(rule.proto.name === 'ipv6-icmp' ? 'icmp6' : rule.proto.name, family)
          : null;
        if (
          implicit &&
          !rule.matches.some((m) => m.kind === implicit.kind) &&
          applyOption(implicit as Builder, raw, r, wasInvert, family)
        ) {
          closeMatch();
          current = implicit as Builder;
          currentStartTok = tokIndex;
          continue;
        }
        const where = current ? `-m ${(current as Match).kind}` : 'this rule';
        bad(`${where} has no option ${raw}`);
      }
    } catch (e) {
      if (!(e instanceof BadValue)) throw e;
      report(e.message, tokIndex);
      // Keep what is left of this match as unknown, so the simulator assumes there.
      const module = current ? (current as Match).kind : 'option';
      current = null;
      invert = false;
      unknownModule(module, tokIndex);
    }
  }
  closeMatch();
  if (comments.length > 0) rule.comment = comments.join(' ');
  return rule;
}

/** The decoded rule, cached on the ruleset. */
export function getRule(ruleset: Ruleset, id: number): Rule {
  let rule = ruleset.decoded[id];
  if (!rule) {
    rule = decodeRule(ruleset, id);
    ruleset.decoded[id] = rule;
  }
  return rule;
}

/** Decodes rule `id` only to report its problems (nothing is kept). */
export function checkRule(ruleset: Ruleset, id: number, sink: DiagnosticSink): void {
  decodeRule(ruleset, id, sink);
}

/**
 * The `checkRules` pass of parseIptablesSave on a ruleset parsed without it: every rule decoded
 * once for its bad option values. A big dump is traced first and checked after.
 */
export function checkAllRules(ruleset: Ruleset): Diagnostic[] {
  const sink = new DiagnosticSink();
  for (let id = 0; id < ruleset.rules.count; id++) checkRule(ruleset, id, sink);
  return sink.finish();
}

export function findTable(ruleset: Ruleset, family: Family, name: TableName): Table | undefined {
  // A table that appears twice replaces the earlier one, as iptables-restore does.
  for (let i = ruleset.tables.length - 1; i >= 0; i--) {
    const t = ruleset.tables[i];
    if (t.family === family && t.name === name) return t;
  }
  return undefined;
}

export function findChain(table: Table, name: string): Chain | undefined {
  const i = table.chainIndex.get(name);
  return i === undefined ? undefined : table.chains[i];
}

/** `table:chain:position` of a rule, as people cite it. */
export function ruleLocation(ruleset: Ruleset, id: number): string {
  const t = ruleset.tables[ruleset.rules.table[id]];
  return `${t.name}:${t.chains[ruleset.rules.chain[id]].name}:${ruleset.rules.position[id]}`;
}
