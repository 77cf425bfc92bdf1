import type {
  Assumption,
  Family,
  FinalPacket,
  Header,
  HookName,
  IpsetState,
  IpvsEvent,
  IpvsRealServer,
  IpvsVirtualService,
  NodeContext,
  Packet,
  PortRange,
  RouteStep,
  Rule,
  Ruleset,
  Table,
  TableName,
  Target,
  TraceEvent,
  TracePath,
  TraceResult,
} from '../model';
import {
  findTable,
  formatCidr,
  formatIp,
  getRule,
  hostPort,
  type IpValue,
  netmapAddress,
  parseIp,
  ruleLocation,
} from '../parse';
import { CT_STATES, PROTOCOLS } from '../parse/vocabulary';
import { addrType, buildRouting, ifaceAddress, isLoopback, masqueradeAddress, type Routing, routeOut } from './context';
import { candidates } from './index-chain';
import { changeSet, mapSetMark } from './ipset';
import {
  findService,
  IPVS_HOOK_FN,
  IPVS_HOOK_STAGES,
  ipvsHandles,
  ipvsServiceName,
  isServiceAddress,
  type Stage,
} from './ipvs';
import { schedule } from './ipvs-sched';
import { headerMatches, type MatchEnv, matchOne, type PacketView, type SplitRequest } from './match';

// The walk, as netfilter does it (../design.md "netfilter, as the simulator
// must walk it"). The walk is an explicit state machine so that at a random
// `statistic` rule it can fork: both copies carry on, each with its share of
// the probability, and every finished copy is one path of the result.

/** Tables at each hook in priority order (iptables-nft: raw −300, mangle −150, nat dst −100, filter 0, security 50 (150 in INPUT), nat src 100). */
const HOOK_TABLES: Record<HookName, TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  // iptables-nft hooks security at 150 in INPUT, after nat's 100 (nft list: `hook input priority 150`).
  INPUT: ['mangle', 'filter', 'nat', 'security'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

const NONE: string[] = [];

/** nf_tables' jump stack (NFT_JUMP_STACK_SIZE): deeper nesting is rejected when the ruleset loads. */
const MAX_DEPTH = 16;
const MAX_STEPS = 1_000_000;
const MAX_PATHS = 10_000;

interface Frame {
  chain: number;
  cands: ArrayLike<number>;
  next: number;
  /** Chains this frame replaced by goto: still part of the path, for cycle detection. */
  via?: number[];
}

interface State {
  leg: number;
  hook: HookName;
  tableIdx: number;
  table: Table | null;
  frames: Frame[];
  h: Header;
  orig: { src: string; sport: number; dst: string; dport: number };
  inIface: string;
  outIface: string;
  untracked: boolean;
  ctstatus: number;
  dnatBit: boolean;
  snatBit: boolean;
  dstNatDone: boolean;
  srcNatDone: boolean;
  masqueraded: boolean;
  /** SNAT/MASQUERADE left the source port to the kernel's random choice in this range. */
  sportRandom: PortRange | null;
  recent: Map<string, Set<string>>;
  /** The caller's ipsets, replaced (never changed in place) when a SET target adds or deletes. */
  ipsets: Record<string, IpsetState>;
  probability: number;
  choices: number[];
  /** Statistic results already decided for the rule being evaluated. */
  decided: boolean[];
  /** Events, newest first, sharing their prefix with the paths this one forked from. */
  events: Trail | null;
  /** The packet as rules see it; rebuilt after anything that may change it. */
  pv: PacketView | null;
  /** s.h's addresses parsed, valid while ipsOf === s.h (headers are immutable). */
  ipsOf: Header | null;
  srcIp: IpValue | null;
  dstIp: IpValue | null;
  routes: RouteStep[];
  assumptions: Assumption[];
  final: FinalPacket | null;
  error?: string;
  /** Events on the trail so far (for IpvsEvent.at). */
  eventCount: number;
  /** skb->ipvs_property: IPVS sent this packet on (ip_vs_nat_send_or_cont); its hooks let it pass. */
  ipvsProperty: boolean;
  /** The IPVS connection this packet was scheduled on (`-m ipvs --vaddr/--vport/--vmethod`). */
  ipvsConn: PacketView['ipvsConn'];
  ipvs: IpvsEvent[];
}

interface Trail {
  event: TraceEvent;
  prev: Trail | null;
}

function trailToArray(t: Trail | null): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let x = t; x; x = x.prev) out.push(x.event);
  return out.reverse();
}

interface Walk {
  ruleset: Ruleset;
  family: Family;
  routing: Routing;
  ctx: NodeContext;
  packet: Packet;
  protoNum: number;
  notes: Set<string>;
  steps: number;
  /** The state and rule being evaluated, for `env.assume`. */
  cur: State | null;
  ruleId: number;
  env: MatchEnv;
  /** Facts the matches of the rule being evaluated recorded (set lookups), for its event. */
  ruleNotes: string[];
}

/** Headers are never changed in place: events share them, and a rewrite makes a new one (of one shape). */
function withHeader(h: Header, change: Partial<Header>): Header {
  return {
    src: change.src ?? h.src,
    sport: change.sport ?? h.sport,
    dst: change.dst ?? h.dst,
    dport: change.dport ?? h.dport,
    mark: change.mark ?? h.mark,
    ctmark: change.ctmark ?? h.ctmark,
  };
}

function clone(s: State): State {
  const recent = new Map<string, Set<string>>();
  for (const [k, v] of s.recent) recent.set(k, new Set(v));
  return {
    ...s,
    frames: s.frames.map((f) => ({ ...f })),
    h: s.h,
    recent,
    choices: [...s.choices],
    decided: [...s.decided],
    pv: null,
    routes: [...s.routes],
    assumptions: [...s.assumptions],
    ipvs: [...s.ipvs],
  };
}

function view(w: Walk, s: State): PacketView {
  if (s.ipsOf !== s.h) {
    s.srcIp = parseIp(s.h.src);
    s.dstIp = parseIp(s.h.dst);
    s.ipsOf = s.h;
  }
  return {
    family: w.family,
    proto: w.protoNum,
    src: s.h.src,
    sport: s.h.sport,
    dst: s.h.dst,
    dport: s.h.dport,
    srcIp: s.srcIp as IpValue,
    dstIp: s.dstIp as IpValue,
    inIface: s.inIface,
    outIface: s.outIface,
    mark: s.h.mark,
    ctmark: s.h.ctmark,
    ctstate: s.untracked
      ? CT_STATES.UNTRACKED
      : CT_STATES.NEW | (s.dnatBit ? CT_STATES.DNAT : 0) | (s.snatBit ? CT_STATES.SNAT : 0),
    ctstatus: s.ctstatus,
    orig: s.orig,
    icmpType: w.packet.icmpType ?? (w.family === 4 ? 8 : 128),
    icmpCode: w.packet.icmpCode ?? 0,
    local: w.packet.origin === 'local' && (s.hook === 'OUTPUT' || s.hook === 'POSTROUTING'),
    uid: w.packet.uid ?? 0,
    gid: w.packet.gid ?? 0,
    srcMac: w.packet.srcMac,
    length: w.protoNum === 6 ? 60 : w.protoNum === 17 ? 29 : 84,
    recent: s.recent,
    ipsets: s.ipsets,
    ipvsProperty: s.ipvsProperty,
    ipvsConn: s.ipvsConn,
  };
}

function canonical(ip: string): string {
  const v = parseIp(ip);
  return v ? formatIp(v) : ip;
}

/** Walks `packet` through `ruleset` on the node `ctx`; returns every path with its probability. */
export function simulate(ruleset: Ruleset, ctx: NodeContext, packet: Packet): TraceResult {
  const src = parseIp(packet.src);
  const dst = parseIp(packet.dst);
  const notes = new Set<string>();
  const fail = (msg: string): TraceResult => ({
    paths: [],
    notes: [msg],
  });
  if (!src) return fail(`source '${packet.src}' is not an IP address`);
  if (!dst) return fail(`destination '${packet.dst}' is not an IP address`);
  if (src.family !== dst.family) return fail('source and destination are of different IP families');
  const family = src.family;
  const routing = buildRouting(ctx);
  const w: Walk = {
    ruleset,
    family,
    routing,
    ctx,
    packet,
    protoNum: PROTOCOLS[packet.proto === 'icmp' && family === 6 ? 'ipv6-icmp' : packet.proto] ?? 0,
    notes,
    steps: 0,
    cur: null,
    ruleId: -1,
    ruleNotes: [],
    env: {
      routing,
      ctx,
      assume: (what) => {
        const s = w.cur as State;
        s.assumptions.push({ ruleId: w.ruleId, location: ruleLocation(ruleset, w.ruleId), what });
      },
      note: (what) => {
        w.ruleNotes.push(what);
      },
    },
  };
  if (!ruleset.tables.some((t) => t.family === family))
    notes.add(`the ruleset has no IPv${family} tables: nothing filters this packet`);

  const h: Header = {
    src: canonical(packet.src),
    sport: packet.sport,
    dst: canonical(packet.dst),
    dport: packet.dport,
    mark: packet.mark ?? 0,
    ctmark: 0,
  };
  const start: State = {
    leg: 0,
    hook: packet.origin === 'local' ? 'OUTPUT' : 'PREROUTING',
    tableIdx: -1,
    table: null,
    frames: [],
    h,
    orig: { src: h.src, sport: h.sport, dst: h.dst, dport: h.dport },
    inIface: packet.origin === 'external' ? ctx.uplink : packet.origin === 'pod' ? ctx.podIface : '',
    outIface: '',
    untracked: false,
    ctstatus: 0,
    dnatBit: false,
    snatBit: false,
    dstNatDone: false,
    srcNatDone: false,
    masqueraded: false,
    sportRandom: null,
    recent: new Map(),
    ipsets: ctx.ipsets,
    probability: 1,
    choices: [],
    decided: [],
    events: null,
    pv: null,
    ipsOf: null,
    srcIp: null,
    dstIp: null,
    routes: [],
    assumptions: [],
    final: null,
    eventCount: 0,
    ipvsProperty: false,
    ipvsConn: null,
    ipvs: [],
  };
  if (packet.origin === 'local') {
    start.outIface = routeOut(w.routing, h.dst);
    start.routes.push({ leg: 0, after: 'OUTPUT', decision: 'output', iface: start.outIface });
  }

  const paths: TracePath[] = [];
  const work: State[] = [start];
  while (work.length > 0) {
    const s = work.pop() as State;
    const fork = run(w, s);
    if (fork) {
      if (paths.length + work.length + fork.length > MAX_PATHS) {
        notes.add(`more than ${MAX_PATHS} paths: the rest were not walked`);
        continue;
      }
      // Depth first, the matching branch (or first real server) first, so paths come out in order.
      for (let k = fork.length - 1; k >= 0; k--) work.push(fork[k]);
      continue;
    }
    paths.push({
      probability: s.probability,
      events: trailToArray(s.events),
      routes: s.routes,
      final: s.final as FinalPacket,
      choices: s.choices,
      assumptions: s.assumptions,
      ...(s.error ? { error: s.error } : {}),
      ...(w.ctx.ipvs ? { ipvs: s.ipvs } : {}),
    });
  }
  return { paths, notes: [...notes] };
}

function finish(
  w: Walk,
  s: State,
  verdict: FinalPacket['verdict'],
  disposition: FinalPacket['disposition'],
  iface: string,
  byRuleId?: number,
): void {
  s.final = {
    verdict,
    src: s.h.src,
    sport: s.h.sport,
    dst: s.h.dst,
    dport: s.h.dport,
    masqueraded: s.masqueraded,
    ...(s.sportRandom ? { sportRandom: s.sportRandom } : {}),
    ...(s.masqueraded ? sourceNatOf(w, s) : {}),
    disposition,
    iface,
    mark: s.h.mark,
    ...(byRuleId !== undefined ? { byRuleId } : {}),
  };
}

/**
 * The target of the nat rule that changed the source, for the final packet's wording: the one
 * source-NAT step of the path (nat POSTROUTING or INPUT runs once per connection). Its header may
 * look unchanged when only the port is the kernel's random pick.
 */
function sourceNatOf(w: Walk, s: State): Pick<FinalPacket, 'sourceNat'> {
  for (let t = s.events; t; t = t.prev) {
    const e = t.event;
    if (e.ruleId === null || e.table !== 'nat' || (e.hook !== 'POSTROUTING' && e.hook !== 'INPUT')) continue;
    const kind = getRule(w.ruleset, e.ruleId).target.kind;
    if (kind === 'snat') return { sourceNat: 'SNAT' };
    if (kind === 'masquerade') return { sourceNat: 'MASQUERADE' };
    if (kind === 'netmap') return { sourceNat: 'NETMAP' };
  }
  return {};
}

/** Runs a state until it finishes (returns null) or forks (returns the branches: matched first). */
function run(w: Walk, s: State): State[] | null {
  while (!s.final) {
    if (s.table === null) {
      const entered = enterNextTable(w, s);
      if (entered === 'ipvs') {
        const fork = ipvsStage(w, s);
        if (fork) return fork;
        continue;
      }
      if (!entered) {
        afterHook(w, s);
        continue;
      }
    }
    const fork = step(w, s);
    if (fork) return fork;
  }
  return null;
}

/** Moves to the next table of this hook that has the hook's chain; 'ipvs' at IPVS's slot; false when the hook is done. */
function enterNextTable(w: Walk, s: State): boolean | 'ipvs' {
  const names: readonly Stage[] = (w.ctx.ipvs && IPVS_HOOK_STAGES[s.hook as 'INPUT' | 'OUTPUT']) || HOOK_TABLES[s.hook];
  while (++s.tableIdx < names.length) {
    const name = names[s.tableIdx];
    if (name === 'ipvs') return 'ipvs';
    if (name === 'nat') {
      // nat chains see only a connection's first packet, once per manip type (nf_nat_inet_fn).
      if (s.untracked) continue;
      const dstManip = s.hook === 'PREROUTING' || s.hook === 'OUTPUT';
      if (dstManip ? s.dstNatDone : s.srcNatDone) continue;
    }
    const table = findTable(w.ruleset, w.family, name);
    if (!table) continue;
    const idx = table.chainIndex.get(s.hook);
    if (idx === undefined) continue;
    const chain = table.chains[idx];
    if (!chain.declared && chain.rules.length === 0) continue;
    s.table = table;
    s.frames = [{ chain: idx, cands: candidates(w.ruleset, table, idx, s.h.dst, s.h.dport), next: 0 }];
    return true;
  }
  s.tableIdx = -1;
  return false;
}

function endTable(s: State): void {
  if (s.table?.name === 'nat') {
    if (s.hook === 'PREROUTING' || s.hook === 'OUTPUT') s.dstNatDone = true;
    else s.srcNatDone = true;
  }
  s.table = null;
  s.frames = [];
}

function emit(
  w: Walk,
  s: State,
  ev: Omit<TraceEvent, 'table' | 'hook' | 'leg' | 'before' | 'after'>,
  before: Header,
): void {
  const h = s.h;
  const event: TraceEvent = {
    table: (s.table as Table).name,
    chain: ev.chain,
    kind: ev.kind,
    rule: ev.rule,
    verdict: ev.verdict,
    hook: s.hook,
    leg: s.leg,
    ruleId: ev.ruleId,
    before,
    after: h,
  };
  if (ev.implicit) event.implicit = true;
  if (ev.assumed) event.assumed = ev.assumed;
  if (ev.notes) event.notes = ev.notes;
  s.events = { event, prev: s.events };
  s.eventCount++;
  void w;
}

/** Evaluates the next rule of the current chain (or falls off its end). */
function step(w: Walk, s: State): State[] | null {
  const table = s.table as Table;
  const frame = s.frames[s.frames.length - 1];
  if (++w.steps > MAX_STEPS) {
    s.error = `the walk did not end after ${MAX_STEPS} rules (a goto cycle?)`;
    finish(w, s, 'ERROR', 'error', '');
    return null;
  }
  if (frame.next >= frame.cands.length) {
    // Off the end of the chain.
    const chain = table.chains[frame.chain];
    if (s.frames.length > 1) {
      s.frames.pop();
      const before = s.h;
      emit(
        w,
        s,
        { chain: chain.name, kind: 'return', rule: null, verdict: 'RETURN', ruleId: null, implicit: true },
        before,
      );
      return null;
    }
    const builtin = table.chains[frame.chain].builtin ? chain : table.chains[table.chainIndex.get(s.hook) as number];
    return policy(w, s, builtin.name, builtin.policy ?? 'ACCEPT');
  }
  const ruleId = frame.cands[frame.next++];
  const rule = getRule(w.ruleset, ruleId);
  if (!s.pv) s.pv = view(w, s);
  const pv = s.pv;
  const env = w.env;
  w.cur = s;
  w.ruleId = ruleId;
  const assumedBefore = s.assumptions.length;
  if (w.ruleNotes.length > 0) w.ruleNotes.length = 0;
  if (!headerMatches(rule, pv)) return null;
  let statIndex = 0;
  for (const m of rule.matches) {
    const decided = m.kind === 'statistic' ? s.decided[statIndex] : undefined;
    const r = matchOne(m, pv, env, decided);
    if (m.kind === 'statistic') statIndex++;
    if (r === true) continue;
    if (r === false) {
      if (s.decided.length > 0) s.decided = [];
      return null;
    }
    return split(w, s, frame, r, assumedBefore);
  }
  if (s.decided.length > 0) s.decided = [];
  const assumed = s.assumptions.length > assumedBefore ? s.assumptions.slice(assumedBefore).map((a) => a.what) : NONE;
  return applyTarget(w, s, rule, assumed);
}

/** Forks the state at a random statistic: both copies re-evaluate the rule with the result fixed. */
function split(w: Walk, s: State, frame: Frame, r: SplitRequest, assumedBefore: number): [State, State] {
  frame.next--;
  s.assumptions.length = assumedBefore;
  w.steps--;
  if (r.note) w.notes.add(r.note);
  const yes = clone(s);
  // The state itself carries on as the branch where the statistic did not match.
  const no = s;
  no.pv = null;
  yes.decided.push(true);
  no.decided.push(false);
  yes.choices.push(1);
  no.choices.push(0);
  yes.probability *= r.probability;
  no.probability *= 1 - r.probability;
  return [yes, no];
}

function policy(w: Walk, s: State, chain: string, verdict: 'ACCEPT' | 'DROP'): null {
  const before = s.h;
  emit(w, s, { chain, kind: 'policy', rule: null, verdict, ruleId: null }, before);
  if (verdict === 'DROP') {
    finish(w, s, 'DROP', 'dropped', '');
    return null;
  }
  endTable(s);
  return null;
}

function jump(w: Walk, s: State, target: string, isGoto: boolean, ruleId: number): string | null {
  const table = s.table as Table;
  // The scanner resolved the target chain; no name lookup needed.
  const idx = w.ruleset.rules.jumpChain[ruleId];
  if (idx < 0) return `jump to ${target}, which does not exist`;
  if (s.frames.some((f) => f.chain === idx || f.via?.includes(idx)))
    return `jump cycle: ${target} is already on the jump stack (${s.frames.map((f) => table.chains[f.chain].name).join(' → ')})`;
  if (!isGoto && s.frames.length >= MAX_DEPTH)
    return `jumps nest deeper than ${MAX_DEPTH} chains: the kernel refuses to load such a ruleset`;
  const frame: Frame = { chain: idx, cands: candidates(w.ruleset, table, idx, s.h.dst, s.h.dport), next: 0 };
  if (isGoto) {
    const top = s.frames[s.frames.length - 1];
    if (s.frames.length === 1) {
      // A goto from the built-in chain: when the target ends, the built-in's policy applies.
      s.frames[0] = { ...top, cands: [], next: 0 };
      s.frames.push(frame);
    } else {
      frame.via = [...(top.via ?? []), top.chain];
      s.frames[s.frames.length - 1] = frame;
    }
  } else s.frames.push(frame);
  return null;
}

function applyTarget(w: Walk, s: State, rule: Rule, assumed: string[]): null {
  s.pv = null;
  const before = s.h;
  const chainName = (s.table as Table).chains[rule.chain].name;
  const t: Target = rule.target;
  const notes: string[] = w.ruleNotes.length > 0 ? [...w.ruleNotes] : [];
  const ev = (verdict: string) =>
    emit(
      w,
      s,
      {
        chain: chainName,
        kind: 'rule',
        rule: rule.position,
        verdict,
        ruleId: rule.id,
        ...(assumed.length ? { assumed } : {}),
        ...(notes.length ? { notes } : {}),
      },
      before,
    );
  switch (t.kind) {
    case 'none':
    case 'log':
    case 'nflog':
    case 'trace':
    case 'continue':
      // HMARK sets the packet mark to a hash (xt_HMARK.c) the walk does not compute: later mark
      // matches see the old mark, so the step says so.
      if (t.kind === 'continue' && t.name === 'HMARK') {
        const what = 'HMARK sets the packet mark to a hash the walk does not compute: the mark is left as it was';
        assumed = [...assumed, what];
        s.assumptions.push({ ruleId: rule.id, location: ruleLocation(w.ruleset, rule.id), what });
      }
      ev('CONTINUE');
      return null;
    case 'accept':
      ev('ACCEPT');
      endTable(s);
      return null;
    case 'drop':
      ev('DROP');
      finish(w, s, 'DROP', 'dropped', '', rule.id);
      return null;
    case 'reject':
      // iptables-nft turns REJECT into nft's reject: the trace prints DROP.
      notes.push(`rejected with ${t.with}`);
      ev('DROP');
      finish(w, s, 'REJECT', 'rejected', '', rule.id);
      return null;
    case 'return': {
      ev('RETURN');
      if (s.frames.length > 1) s.frames.pop();
      else {
        const table = s.table as Table;
        const builtin = table.chains[table.chainIndex.get(s.hook) as number];
        return policy(w, s, builtin.name, builtin.policy ?? 'ACCEPT');
      }
      return null;
    }
    case 'jump':
    case 'goto': {
      const err = jump(w, s, t.chain, t.kind === 'goto', rule.id);
      ev(`${t.kind === 'goto' ? 'GOTO' : 'JUMP'}:${t.chain}`);
      if (err) {
        s.error = err;
        finish(w, s, 'ERROR', 'error', '', rule.id);
      }
      return null;
    }
    case 'mark':
      s.h = withHeader(s.h, { mark: ((s.h.mark & ~t.mask) ^ t.value) >>> 0 });
      ev('CONTINUE');
      return null;
    case 'connmark': {
      // xt_connmark.c connmark_tg_shift: SET ctmark = ((ctmark & ~mask) ^ value) shifted; SAVE ctmark =
      // (ctmark & ~ctmask) ^ ((mark & nfmask) shifted); RESTORE mark = (mark & ~nfmask) ^ ((ctmark &
      // ctmask) shifted). The shift is 1 to 31 (the kernel refuses 32).
      const sh = t.shift;
      const shift = (v: number) => (!sh ? v : sh.dir === 'left' ? v << sh.bits : v >>> sh.bits);
      if (t.op === 'set') s.h = withHeader(s.h, { ctmark: shift((s.h.ctmark & ~t.mask) ^ t.value) >>> 0 });
      else if (t.op === 'save')
        s.h = withHeader(s.h, { ctmark: ((s.h.ctmark & ~t.ctmask) ^ shift(s.h.mark & t.nfmask)) >>> 0 });
      else s.h = withHeader(s.h, { mark: ((s.h.mark & ~t.nfmask) ^ shift(s.h.ctmark & t.ctmask)) >>> 0 });
      ev('CONTINUE');
      return null;
    }
    case 'notrack':
      // xt_CT leaves a packet that already has a conntrack alone: so on the lo leg it does nothing,
      // nor on the pass through LOCAL_OUT after IPVS sent the packet on.
      if (s.leg === 0 && !s.ipvsProperty) s.untracked = true;
      ev('CONTINUE');
      return null;
    case 'ct':
      if (t.notrack && s.leg === 0 && !s.ipvsProperty) s.untracked = true;
      ev('CONTINUE');
      return null;
    case 'set':
      assumed = applySet(w, s, rule, t, notes, assumed);
      ev('CONTINUE');
      return null;
    case 'dnat':
    case 'redirect': {
      let addr: string | null;
      let port = s.h.dport;
      if (t.kind === 'dnat') {
        addr = t.range.addrFrom ?? s.h.dst;
        if (t.range.addrFrom !== t.range.addrTo)
          notes.push(
            `the kernel picks one address of ${t.range.addrFrom}-${t.range.addrTo} by a hash; the first is shown`,
          );
        if (t.range.portFrom !== undefined)
          port = pickPort(t.range.portFrom, t.range.portTo ?? t.range.portFrom, port, notes);
      } else {
        addr =
          s.hook === 'OUTPUT' ? (w.family === 4 ? '127.0.0.1' : '::1') : ifaceAddress(w.routing, s.inIface, w.family);
        if (!addr) {
          addr = w.routing.nodeIPs[0] ?? s.h.dst;
          notes.push(`the address of ${s.inIface} is unknown; the node IP is shown`);
        }
        if (t.ports) port = pickPort(t.ports.lo, t.ports.hi, port, notes);
      }
      const changed = addr !== s.h.dst || port !== s.h.dport;
      s.h = withHeader(s.h, { dst: canonical(addr), dport: port });
      if (changed) s.dnatBit = true;
      notes.push(`${t.kind === 'dnat' ? 'DNAT' : 'REDIRECT'} to ${hostPort(s.h.dst, port)}`);
      ev('ACCEPT');
      endTable(s);
      return null;
    }
    case 'snat':
    case 'masquerade': {
      let addr: string | null = s.h.src;
      let ports: PortRange | undefined;
      if (t.kind === 'snat') {
        addr = t.range.addrFrom ?? s.h.src;
        if (t.range.portFrom !== undefined) ports = { lo: t.range.portFrom, hi: t.range.portTo ?? t.range.portFrom };
      } else {
        // MASQUERADE takes the address of the interface the packet leaves by (nf_nat_masquerade_ipv4).
        addr = masqueradeAddress(w.routing, s.outIface, w.family);
        if (!addr) {
          addr = s.h.src;
          notes.push(`the address of ${s.outIface} is unknown; the source is shown unchanged`);
        }
        ports = t.ports;
      }
      const original = s.h.sport;
      const { port, random } = sourcePort(w.protoNum, original, ports, t.random || t.randomFully);
      const addrChanged = canonical(addr) !== s.h.src;
      const changed = addrChanged || port !== s.h.sport || random !== null;
      s.h = withHeader(s.h, { src: canonical(addr), sport: port });
      if (changed) {
        s.snatBit = true;
        s.masqueraded = true;
      }
      if (random) s.sportRandom = random;
      const what = t.kind === 'snat' ? 'SNAT' : 'MASQUERADE';
      if (!random) notes.push(`${what}: source ${changed ? 'becomes' : 'stays'} ${hostPort(s.h.src, port)}`);
      else {
        const why = t.randomFully
          ? '--random-fully'
          : t.random
            ? '--random'
            : `the original port ${original} is outside it`;
        notes.push(
          `${what}: source ${addrChanged ? `becomes ${s.h.src}` : `address stays ${s.h.src}`}, with a port the kernel picks at random in ${random.lo}-${random.hi} (${why}); ${port} is shown`,
        );
      }
      ev('ACCEPT');
      endTable(s);
      return null;
    }
    case 'netmap': {
      // xt_NETMAP.c netmap_tg4/6: PREROUTING and OUTPUT map the destination, POSTROUTING and INPUT
      // the source, keeping the host bits; nf_nat_setup_info then accepts, which ends the nat table
      // at this hook as DNAT and SNAT do. Ports are kept (NETMAP gives no port range).
      const dst = s.hook === 'PREROUTING' || s.hook === 'OUTPUT';
      const from = dst ? s.h.dst : s.h.src;
      const to = formatIp(netmapAddress(parseIp(from) as IpValue, t.to));
      if (dst) s.h = withHeader(s.h, { dst: to });
      else s.h = withHeader(s.h, { src: to });
      if (to !== from) {
        if (dst) s.dnatBit = true;
        else {
          s.snatBit = true;
          s.masqueraded = true;
        }
      }
      notes.push(
        `NETMAP: ${dst ? 'destination' : 'source'} ${from} ${to === from ? 'stays' : `becomes ${to}`} (onto ${formatCidr(t.to)})`,
      );
      ev('ACCEPT');
      endTable(s);
      return null;
    }
    case 'unknown':
      assumed = [...assumed, `target ${t.name} is not modelled: taken as CONTINUE`];
      s.assumptions.push({
        ruleId: rule.id,
        location: ruleLocation(w.ruleset, rule.id),
        what: `target ${t.name} is not modelled: taken as CONTINUE`,
      });
      ev('CONTINUE');
      return null;
  }
}

/** Protocols whose ports NAT maps (nf_nat_l4proto_unique_tuple): TCP, UDP, DCCP, SCTP, UDP-Lite. ICMP's id is not modelled. */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);

/** nf_nat_l4proto_unique_tuple's range for a source port of 1024 or more when no --to-ports is given. */
const UNPRIVILEGED: PortRange = { lo: 1024, hi: 65535 };

/**
 * The source port SNAT or MASQUERADE leaves, and the range when the kernel draws it at random
 * (nf_nat_core.c get_unique_tuple, nf_nat_l4proto_unique_tuple). Without --random/--random-fully
 * the original port is kept when it is in the range (any port without --to-ports), a one-port
 * range is taken as it is, and otherwise the kernel starts at a random offset (get_random_u16) in
 * the range. --random and --random-fully (NF_NAT_RANGE_PROTO_RANDOM_ALL) skip the keeping
 * altogether: the port is random even when the address stays the same. Without --to-ports the
 * range is the original port's class: 1-511, 600-1023 or 1024-65535. The port shown for a random
 * pick is the original if it is in the range, else the range's first.
 */
export function sourcePort(
  protoNum: number,
  current: number,
  ports: PortRange | undefined,
  random: boolean,
): { port: number; random: PortRange | null } {
  if (!PORT_PROTOCOLS.has(protoNum)) return { port: current, random: null };
  const range = ports ?? (current < 512 ? { lo: 1, hi: 511 } : current < 1024 ? { lo: 600, hi: 1023 } : UNPRIVILEGED);
  const inRange = current >= range.lo && current <= range.hi;
  const port = inRange ? current : range.lo;
  if (range.lo === range.hi || (!random && inRange)) return { port, random: null };
  return { port, random: { lo: range.lo, hi: range.hi } };
}

/**
 * SET (xt_set.c set_target_v3): add, then delete, then map, each on the packet as it is at this
 * rule. The kernel changes the set at once, so a later `-m set` in this walk (this hook or the next,
 * the lo leg too) sees the change; the walk carries its own copy of the sets for that. Returns the
 * step's assumptions.
 */
function applySet(
  w: Walk,
  s: State,
  rule: Rule,
  t: Extract<Target, { kind: 'set' }>,
  notes: string[],
  assumed: string[],
): string[] {
  const p = s.pv ?? view(w, s);
  const out = [...assumed];
  const assume = (what: string) => {
    out.push(what);
    s.assumptions.push({ ruleId: rule.id, location: ruleLocation(w.ruleset, rule.id), what });
  };
  for (const [op, ref] of [
    ['add', t.add],
    ['del', t.del],
  ] as const) {
    if (!ref) continue;
    const change = changeSet(s.ipsets, op, ref.name, ref.flags, p, op === 'add' ? t.timeout : undefined);
    s.ipsets = change.sets;
    if (change.note) notes.push(change.note);
    if (change.assumed) assume(change.assumed);
  }
  if (t.map) {
    const mapped = t.mapMark ? mapSetMark(s.ipsets, t.map.name, t.map.flags, p) : null;
    if (t.mapMark && !mapped) assume(`ipset ${t.map.name} was not supplied: --map-mark is not modelled`);
    if (mapped) {
      notes.push(mapped.note);
      s.h = withHeader(s.h, { mark: mapped.mark });
    }
    if (t.mapPrio || t.mapQueue)
      notes.push("--map-prio / --map-queue set the packet's priority or queue, which the walk does not carry");
  }
  return out;
}

/** The kernel keeps the original port when it is inside the range (nf_nat_core.c get_unique_tuple), else takes one from it. */
function pickPort(lo: number, hi: number, current: number, notes: string[]): number {
  if (current >= lo && current <= hi) return current;
  if (lo !== hi) notes.push(`the kernel picks a free port in ${lo}-${hi}; ${lo} is shown`);
  return lo;
}

/** After the last table of a hook: the routing decision and the next hook, or the end of the walk. */
function afterHook(w: Walk, s: State): void {
  s.pv = null;
  const r = w.routing;
  switch (s.hook) {
    case 'PREROUTING': {
      const dst = parseIp(s.h.dst) as IpValue;
      if (isLoopback(dst) && s.inIface !== 'lo' && (!w.ctx.routeLocalnet || w.family === 6)) {
        s.routes.push({ leg: s.leg, after: 'PREROUTING', decision: 'local', iface: s.inIface });
        w.notes.add('a packet from outside to 127.0.0.0/8 is dropped by routing unless route_localnet=1');
        finish(w, s, 'ACCEPT', 'dropped', s.inIface); // netfilter accepted it; routing drops it
        return;
      }
      const type = addrType(r, s.h.dst);
      if (type === 'MULTICAST') {
        // The node joined no group and routes no multicast: the stack drops it after PREROUTING.
        s.routes.push({ leg: s.leg, after: 'PREROUTING', decision: 'local', iface: s.inIface });
        w.notes.add('a multicast packet is delivered only to groups the node has joined, and never forwarded');
        finish(w, s, 'ACCEPT', 'dropped', s.inIface); // netfilter accepted it; routing drops it
        return;
      }
      const out = type === 'BROADCAST' ? 'lo' : routeOut(r, s.h.dst);
      if (out === 'lo') {
        s.routes.push({ leg: s.leg, after: 'PREROUTING', decision: 'local', iface: s.inIface });
        s.hook = 'INPUT';
      } else {
        s.outIface = out;
        s.routes.push({ leg: s.leg, after: 'PREROUTING', decision: 'forward', iface: out });
        s.hook = 'FORWARD';
      }
      return;
    }
    case 'INPUT':
      finish(w, s, 'ACCEPT', 'local', s.inIface);
      return;
    case 'FORWARD':
      s.hook = 'POSTROUTING';
      return;
    case 'OUTPUT': {
      // ip_route_me_harder: a nat OUTPUT rewrite re-routes the packet.
      if (s.h.dst !== s.orig.dst) {
        const out = routeOut(r, s.h.dst);
        if (out !== s.outIface) {
          s.outIface = out;
          s.routes.push({ leg: s.leg, after: 'OUTPUT', decision: 'output', iface: out });
        }
      }
      s.hook = 'POSTROUTING';
      return;
    }
    case 'POSTROUTING':
      if (s.outIface === 'lo' && s.leg === 0) {
        // Back in on lo: a new trace id in the kernel; the connection now exists, so no nat on this leg.
        s.leg = 1;
        s.inIface = 'lo';
        s.outIface = '';
        s.ctstatus |= 8; // CONFIRMED
        s.hook = 'PREROUTING';
        return;
      }
      finish(w, s, 'ACCEPT', 'out', s.outIface);
      return;
  }
}

/** Records an IPVS step on the path (beside the nf_tables events, at the current position). */
function ipvsEvent(
  s: State,
  before: Header,
  e: Omit<IpvsEvent, 'at' | 'hook' | 'leg' | 'fn' | 'before' | 'after'>,
): void {
  s.ipvs.push({ at: s.eventCount, hook: s.hook, leg: s.leg, fn: IPVS_HOOK_FN, before, after: s.h, ...e });
}

/**
 * ip_vs_in_hook for a connection's first packet (ip_vs_core.c): packets IPVS already sent on pass;
 * protocols it does not handle pass; no virtual service → NF_ACCEPT (the stack delivers the packet to
 * the local address); a service with no usable real server → ip_vs_leave (ICMP port unreachable,
 * NF_DROP); else the scheduler's picks, one path each, and the packet is sent on by the
 * forwarding method (ip_vs_xmit.c). Returns the branches when the schedule splits.
 */
function ipvsStage(w: Walk, s: State): State[] | null {
  const ipvs = w.ctx.ipvs;
  if (!ipvs || s.ipvsProperty || !ipvsHandles(w.protoNum)) return null;
  // "remote client: only PACKET_HOST": broadcast and multicast pass IPVS at LOCAL_IN.
  if (s.hook === 'INPUT' && addrType(w.routing, s.h.dst) !== 'LOCAL') return null;
  s.pv = null;
  const before = s.h;
  const svc = findService(ipvs, w.family, w.protoNum, s.h.dst, s.h.dport, s.h.mark);
  if (!svc) {
    if (isServiceAddress(ipvs, s.h.dst))
      ipvsEvent(s, before, {
        verdict: 'ACCEPT',
        action: 'no-service',
        notes: [
          `no virtual service for ${w.packet.proto} ${hostPort(s.h.dst, s.h.dport)}: IPVS accepts it and the stack delivers it to the address on ${w.routing.local.get(s.h.dst) ?? 'this node'} (nothing listens there)`,
        ],
      });
    return null;
  }
  const service = ipvsServiceName(svc);
  const sched = schedule(svc, {
    srcIp: parseIp(s.h.src) as IpValue,
    dstIp: parseIp(s.h.dst) as IpValue,
    sport: s.h.sport,
    proto: w.protoNum,
  });
  const notes = [...sched.notes];
  if (svc.persistence)
    notes.push(
      `persistent ${svc.persistence.timeout}s (netmask ${svc.persistence.netmask}): a client with a live template (ip_vs_sched_persist) goes to its earlier real server; a new client is scheduled as shown`,
    );
  if (w.packet.proto === 'tcp') notes.push('a TCP SYN with no IPVS connection: scheduled (tcp_conn_schedule)');
  if (sched.picks.length === 0) {
    // ip_vs_leave: "the TCP socket is not actually created… ICMP_PORT_UNREACH is sent here no matter it is TCP/UDP".
    ipvsEvent(s, before, {
      verdict: 'DROP',
      action: 'no-destination',
      service,
      scheduler: svc.scheduler,
      candidates: sched.candidates,
      span: svc.span,
      notes: [
        `${service} has no real server to take it: IPVS sends ICMP port unreachable and drops the packet (ip_vs_leave)`,
      ],
    });
    finish(w, s, 'REJECT', 'rejected', '');
    return null;
  }
  ipvsEvent(s, before, {
    verdict: 'ACCEPT',
    action: 'schedule',
    service,
    scheduler: svc.scheduler,
    candidates: sched.candidates,
    span: svc.span,
    notes: [
      `IPVS ${service} ${svc.scheduler} → ${sched.picks.length === 1 ? '1 real server' : `${sched.picks.length} real servers`}`,
      ...notes,
    ],
  });
  const branches = sched.picks.map((pick, k) => {
    const b = k === sched.picks.length - 1 ? s : clone(s);
    b.probability *= pick.probability;
    if (sched.picks.length > 1) b.choices.push(k);
    forward(w, b, svc, pick.server);
    return b;
  });
  return sched.picks.length > 1 ? branches : null;
}

/** Sends the packet to the chosen real server as ip_vs_xmit.c does for its forwarding method. */
function forward(w: Walk, s: State, svc: IpvsVirtualService, rs: IpvsRealServer): void {
  const before = s.h;
  const realServer = hostPort(rs.address, rs.port);
  // ip_vs_schedule creates the connection with vaddr:vport = the packet's destination.
  s.ipvsConn = {
    vaddr: parseIp(s.h.dst) as IpValue,
    vport: s.h.dport,
    method: rs.forward === 'masq' ? 'MASQ' : rs.forward === 'tunnel' ? 'IPIP' : 'GATE',
  };
  const notes: string[] = [];
  if (rs.forward === 'masq') {
    // ip_vs_nat_xmit: rewrite the destination to the real server (the conntrack entry's reply
    // tuple follows with net.ipv4.vs.conntrack=1, ip_vs_update_conntrack; ctstate stays NEW).
    s.h = withHeader(s.h, { dst: rs.address, dport: rs.port });
    notes.push(`masquerading (NAT): destination becomes ${realServer}`);
  } else if (rs.forward === 'tunnel') notes.push(`IPIP tunnel to ${rs.address}: the inner header is shown unchanged`);
  else if (rs.forward === 'route') notes.push(`direct routing to ${rs.address}: the header is unchanged`);
  s.pv = null;
  // ip_vs_nat_send_or_cont sets skb->ipvs_property for local and remote real servers alike; with
  // net.ipv4.vs.conntrack=1 (kube-proxy sets it) the packet keeps its conntrack entry, so nat
  // POSTROUTING (MASQUERADE) still sees it.
  s.ipvsProperty = true;
  const local = addrType(w.routing, rs.address) === 'LOCAL';
  if (local || rs.forward === 'local') {
    // ip_vs_nat_send_or_cont / ip_vs_null_xmit: a local real server → NF_ACCEPT, the hook goes on.
    notes.push('the real server is local: the current hook continues with the new destination');
    ipvsEvent(s, before, {
      verdict: 'ACCEPT',
      action: 'forward',
      service: ipvsServiceName(svc),
      realServer,
      forward: rs.forward,
      span: rs.span,
      notes,
    });
    return;
  }
  // Remote: skb->ipvs_property = 1, NF_HOOK(LOCAL_OUT, …, dst_output), NF_STOLEN. The packet runs
  // the whole LOCAL_OUT list again, then POSTROUTING; it never traverses FORWARD, and the rest of
  // the hook it was in (nat INPUT; filter OUTPUT on the local path) never sees it.
  notes.push(
    'sent on through LOCAL_OUT and POSTROUTING (ip_vs_nat_send_or_cont): not FORWARD; nat OUTPUT is skipped (the connection’s destination NAT is already set), nat POSTROUTING runs',
  );
  ipvsEvent(s, before, {
    verdict: 'STOLEN',
    action: 'forward',
    service: ipvsServiceName(svc),
    realServer,
    forward: rs.forward,
    span: rs.span,
    notes,
  });
  s.dstNatDone = true;
  s.table = null;
  s.frames = [];
  s.tableIdx = -1;
  s.hook = 'OUTPUT';
  const out = routeOut(w.routing, rs.address);
  s.outIface = out;
  s.routes.push({ leg: s.leg, after: 'OUTPUT', decision: 'output', iface: out });
}
