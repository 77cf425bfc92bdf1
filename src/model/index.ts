// The types every stage speaks. Nothing here imports anything.
//
// Built for real nodes: a 10k-Service dump is ~30 MB and ~360k rules, so a
// Ruleset keeps the text once and records each rule as offsets in flat arrays;
// a rule's matches and target are decoded on demand (see parse/decode-rule.ts).

/** Where something is in the input: 1-based line and column, length in UTF-16 units. */
export interface SourceSpan {
  line: number;
  column: number;
  length: number;
}

export type Severity = 'error' | 'warning' | 'info';

/** A problem in the input. Input errors are data, never exceptions. */
export interface Diagnostic {
  severity: Severity;
  message: string;
  span: SourceSpan;
  /** A short stable code, e.g. `unknown-table`, `undefined-chain`. */
  code: string;
}

export type Family = 4 | 6;

/** An address with a mask. IPv4 as uint32 numbers, IPv6 as 128-bit bigints. */
export type Cidr =
  | { family: 4; addr: number; mask: number; prefix: number }
  | { family: 6; addr: bigint; mask: bigint; prefix: number };

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

export const BUILTIN_CHAINS: Record<TableName, readonly string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

export interface Chain {
  name: string;
  builtin: boolean;
  /** Built-in chains only. */
  policy: 'ACCEPT' | 'DROP' | null;
  /** Global rule ids (indexes into Ruleset.rules), in chain order. */
  rules: number[];
  /** The `:NAME POLICY [p:b]` line, or the first `-A` line if never declared. */
  span: SourceSpan;
  declared: boolean;
}

export interface Table {
  family: Family;
  name: TableName;
  chains: Chain[];
  chainIndex: Map<string, number>;
  span: SourceSpan;
  committed: boolean;
}

/** The compact, always-present record of every rule. */
export interface RuleStore {
  /** Number of rules. */
  count: number;
  /** Index into Ruleset.tables. */
  table: Int32Array;
  /** Index into that table's chains. */
  chain: Int32Array;
  /** 1-based position within its chain. */
  position: Int32Array;
  /** Offset in Ruleset.text where the rule starts (at `-A`, after any `[p:b]`). */
  start: Int32Array;
  /** Offset just past the rule's last character (before the newline). */
  end: Int32Array;
  /** 1-based source line of the rule. */
  line: Int32Array;
  /** 1-based column of `-A`. */
  column: Int32Array;
  /**
   * For `-j CHAIN` / `-g CHAIN` to a user chain: that chain's index in the same
   * table, else -1. Lets graphs and slices follow jumps without decoding rules.
   */
  jumpChain: Int32Array;
  /** 1 if the jump is a goto. */
  isGoto: Uint8Array;
  /** Counters from `[p:b]` (or -c), -1 when absent. */
  packets: Float64Array;
  bytes: Float64Array;
}

export interface Ruleset {
  /** The whole input, kept once; rules are slices of it. */
  text: string;
  tables: Table[];
  rules: RuleStore;
  /** Filled by decodeRule; never read directly, call parse's `getRule`. */
  decoded: (Rule | undefined)[];
  /** Per-chain lookup indexes the simulator builds for long chains (sim/index-chain.ts). */
  dispatch: Map<Chain, ChainDispatch | null>;
}

/**
 * Which rules of a long chain can match a given destination: rules bucketed by
 * an exact `-d A/32` (or exact `--dport`), plus the rules that test neither.
 */
export interface ChainDispatch {
  key: 'dst' | 'dport';
  buckets: Map<string | number, number[]>;
  /** Rules every packet must be tested against, in chain order. */
  general: number[];
  /** Merged candidate lists already computed, by key. */
  merged: Map<string | number, number[]>;
}

// ---- A decoded rule ----

export interface Inverted {
  invert: boolean;
}

export interface AddrMatch extends Inverted {
  cidr: Cidr;
}

export interface IfaceMatch extends Inverted {
  /** Name without a trailing `+`. */
  name: string;
  /** Trailing `+`: any interface whose name starts with `name`. */
  wildcard: boolean;
}

export interface PortRange {
  lo: number;
  hi: number;
}

export interface PortMatch extends Inverted, PortRange {}

export interface BitsMatch extends Inverted {
  bits: number;
}

export type Match =
  | {
      kind: 'tcp' | 'udp' | 'sctp' | 'udplite' | 'dccp';
      sport?: PortMatch;
      dport?: PortMatch;
      /** tcp only: --tcp-flags MASK COMP (bits FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32). */
      tcpFlags?: Inverted & { mask: number; comp: number };
      tcpOption?: Inverted & { option: number };
      /** Options we keep but do not evaluate (sctp --chunk-types …). */
      extra?: string;
    }
  | { kind: 'icmp'; family: Family; invert: boolean; type: number | 'any'; code?: number }
  | { kind: 'multiport'; dir: 'src' | 'dst' | 'any'; ports: PortRange[]; invert: boolean }
  | { kind: 'comment'; text: string }
  | {
      kind: 'addrtype';
      src?: BitsMatch;
      dst?: BitsMatch;
      limitIfaceIn: boolean;
      limitIfaceOut: boolean;
    }
  | { kind: 'statistic'; mode: 'random'; probability: number; invert: boolean }
  | { kind: 'statistic'; mode: 'nth'; every: number; packet: number; invert: boolean }
  | { kind: 'mark' | 'connmark'; value: number; mask: number; invert: boolean }
  | {
      kind: 'conntrack';
      ctstate?: BitsMatch;
      ctstatus?: BitsMatch;
      ctproto?: Inverted & { proto: number };
      ctorigsrc?: AddrMatch;
      ctorigdst?: AddrMatch;
      ctreplsrc?: AddrMatch;
      ctrepldst?: AddrMatch;
      ctorigsrcport?: PortMatch;
      ctorigdstport?: PortMatch;
      ctreplsrcport?: PortMatch;
      ctrepldstport?: PortMatch;
      ctdir?: 'ORIGINAL' | 'REPLY';
      /** Options read but not modelled (--ctexpire): the simulator assumes. */
      unmodelled?: string;
    }
  | { kind: 'state'; states: BitsMatch }
  | {
      kind: 'recent';
      mode: 'set' | 'rcheck' | 'update' | 'remove';
      invert: boolean;
      name: string;
      seconds?: number;
      hitcount?: number;
      reap: boolean;
      rttl: boolean;
      side: 'source' | 'dest';
      mask: string;
    }
  | {
      kind: 'set';
      name: string;
      /** One per dimension of the set: `src` or `dst`. */
      flags: ('src' | 'dst')[];
      invert: boolean;
      returnNomatch: boolean;
      /** Counter conditions (--packets-gt …), kept as text: assumed. */
      counters?: string;
    }
  | {
      kind: 'physdev';
      in?: IfaceMatch;
      out?: IfaceMatch;
      isIn?: Inverted;
      isOut?: Inverted;
      isBridged?: Inverted;
    }
  | {
      /** xt_ipvs: the IPVS connection the packet belongs to (kube-proxy's KUBE-IPVS-OUT-FILTER). */
      kind: 'ipvs';
      /** `[!] --ipvs` alone: the packet is one IPVS sent on. Any other option requires that too. */
      property?: Inverted;
      vproto?: Inverted & { proto: number };
      vaddr?: AddrMatch;
      vport?: Inverted & { port: number };
      vportctl?: Inverted & { port: number };
      vdir?: 'ORIGINAL' | 'REPLY';
      vmethod?: Inverted & { method: 'GATE' | 'IPIP' | 'MASQ' };
    }
  | { kind: 'mac'; mac: string; invert: boolean }
  | { kind: 'iprange'; src?: Inverted & { from: Cidr; to: Cidr }; dst?: Inverted & { from: Cidr; to: Cidr } }
  | {
      kind: 'owner';
      uid?: Inverted & PortRange;
      gid?: Inverted & PortRange;
      socketExists?: Inverted;
      supplGroups: boolean;
    }
  | { kind: 'pkttype'; type: 'unicast' | 'broadcast' | 'multicast' | 'host' | 'otherhost'; invert: boolean }
  | { kind: 'limit'; rate: string; burst: number }
  | { kind: 'length'; range: PortRange; invert: boolean }
  /**
   * A module whose answer for a connection's first packet is known without
   * modelling it: nfacct counts and matches, connlimit --connlimit-upto matches…
   */
  | { kind: 'fixed'; module: string; text: string; matches: boolean; why: string }
  | { kind: 'unknown'; module: string; text: string };

export type MatchKind = Match['kind'];

/** A NAT range as `--to-destination`/`--to-source` print it. */
export interface NatRange {
  /** Absent for `:8080` (port only). */
  addrFrom?: string;
  addrTo?: string;
  portFrom?: number;
  portTo?: number;
}

/** CONNMARK revision 2's `--left-shift-mark N` / `--right-shift-mark N` (absent when N is 0, as iptables-save omits it). */
export interface MarkShift {
  dir: 'left' | 'right';
  bits: number;
}

/** An ipset and the packet sides that make its element, one per dimension (`--add-set NAME src,dst`). */
export interface IpsetRef {
  name: string;
  flags: ('src' | 'dst')[];
}

export type Target =
  | { kind: 'none' }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'return' }
  | { kind: 'reject'; with: string }
  | { kind: 'jump'; chain: string }
  | { kind: 'goto'; chain: string }
  | { kind: 'mark'; value: number; mask: number }
  | { kind: 'connmark'; op: 'set'; value: number; mask: number; shift?: MarkShift }
  | { kind: 'connmark'; op: 'save' | 'restore'; nfmask: number; ctmask: number; shift?: MarkShift }
  // One member per kind, so a check of `kind` narrows to it.
  | { kind: 'dnat'; range: NatRange; random: boolean; randomFully: boolean; persistent: boolean }
  | { kind: 'snat'; range: NatRange; random: boolean; randomFully: boolean; persistent: boolean }
  | { kind: 'masquerade'; ports?: PortRange; random: boolean; randomFully: boolean }
  | { kind: 'redirect'; ports?: PortRange; random: boolean; randomFully: boolean }
  /** NETMAP --to NET: maps the destination (PREROUTING, OUTPUT) or source (POSTROUTING, INPUT) 1:1 onto NET. */
  | { kind: 'netmap'; to: Cidr }
  | { kind: 'log'; prefix?: string; level?: number }
  | { kind: 'nflog'; prefix?: string; group: number }
  | { kind: 'trace' }
  | { kind: 'notrack' }
  | { kind: 'ct'; notrack: boolean; text: string }
  /**
   * SET (xt_set.c set_target_v3): adds the packet's element to `add`, deletes it from `del`, then
   * on a hit in `map` copies the entry's skbinfo to the packet (`--map-mark`: its mark). CONTINUE.
   */
  | {
      kind: 'set';
      add?: IpsetRef;
      del?: IpsetRef;
      map?: IpsetRef;
      /** --exist: an add refreshes an entry that is already there. */
      exist: boolean;
      /** --timeout N of the added entry, in seconds. */
      timeout?: number;
      mapMark: boolean;
      mapPrio: boolean;
      mapQueue: boolean;
    }
  /** Targets that only change bytes we do not model (CHECKSUM, TCPMSS, …): CONTINUE. */
  | { kind: 'continue'; name: string; text: string }
  | { kind: 'unknown'; name: string; text: string };

export type TargetKind = Target['kind'];

export interface Rule {
  id: number;
  table: number;
  chain: number;
  position: number;
  span: SourceSpan;
  /** The rule as written, from `-A` to the end of the line. */
  text: string;
  src?: AddrMatch;
  dst?: AddrMatch;
  inIface?: IfaceMatch;
  outIface?: IfaceMatch;
  /** Protocol number (0 = all) as `-p` gave it. */
  proto?: Inverted & { proto: number; name: string };
  fragment?: Inverted;
  matches: Match[];
  target: Target;
  /** Every `--comment` joined by a space, for labels. */
  comment?: string;
}

// ---- Simulation input ----

export type Origin = 'external' | 'pod' | 'local';
export type Protocol = 'tcp' | 'udp' | 'sctp' | 'icmp';

export interface Packet {
  origin: Origin;
  proto: Protocol;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** The packet's mark when it enters (default 0). */
  mark?: number;
  /** ICMP type/code when proto is icmp (default echo-request 8/0). */
  icmpType?: number;
  icmpCode?: number;
  /** Source MAC for `-m mac`; when absent such rules are assumed not to match. */
  srcMac?: string;
  /** Socket owner for `-m owner` on locally generated packets (default 0/0). */
  uid?: number;
  gid?: number;
}

/** ipset contents the caller supplies: the set's type and its entries as `ipset save` prints them. */
export interface IpsetState {
  type: string;
  /** Entries as `ipset save` prints them after the set name (`10.96.0.10,tcp:80`, `10.0.0.0/8 nomatch`). */
  entries: string[];
  /** The create line's `family inet|inet6` (hash types); absent: inet, as ipset defaults. */
  family?: Family;
}

// ---- IPVS (kube-proxy ipvs mode) ----

/** The protocol of an address-based virtual service, or `fwmark` for `-f MARK`. */
export type IpvsProtocol = 'tcp' | 'udp' | 'sctp' | 'fwmark';

/**
 * How IPVS sends to a real server (ipvsadm `-m`, `-g`, `-i`). `local`: ipvsadm lists a `-g`
 * destination whose address is the node's own as Local (IP_VS_CONN_F_LOCALNODE).
 */
export type IpvsForward = 'masq' | 'route' | 'tunnel' | 'local';

/** Scheduler flag bits as include/uapi/linux/ip_vs.h defines them (ipvsadm `-b`). */
export const IPVS_SCHED_FLAG = {
  /** IP_VS_SVC_F_SCHED1: sh-fallback / mh-fallback / flag-1. */
  FLAG1: 0x08,
  /** IP_VS_SVC_F_SCHED2: sh-port / mh-port / flag-2. */
  FLAG2: 0x10,
  /** IP_VS_SVC_F_SCHED3: flag-3. */
  FLAG3: 0x20,
} as const;

export interface IpvsRealServer {
  /** Canonical address text. */
  address: string;
  port: number;
  forward: IpvsForward;
  /** -1 when the paste does not say (`ipvsadm -Ln --stats`). */
  weight: number;
  /** From `ipvsadm -Ln` (absent in ipvsadm-save). */
  activeConns?: number;
  inactConns?: number;
  span: SourceSpan;
}

export interface IpvsVirtualService {
  family: Family;
  protocol: IpvsProtocol;
  /** Canonical VIP text; '' for a fwmark service. */
  address: string;
  /** 0 for a fwmark service (and for a port-0 "any port" service). */
  port: number;
  /** The firewall mark of a `-f` service, else 0. */
  fwmark: number;
  /** rr, wrr, lc, wlc, sh, dh, mh, …; '' when the paste does not say (`ipvsadm -Ln --stats`). */
  scheduler: string;
  /** IPVS_SCHED_FLAG bits (`-b sh-port` …). */
  schedFlags: number;
  /** `-p TIMEOUT [-M NETMASK]`: persistence templates per client (kube-proxy ClientIP affinity). */
  persistence: { timeout: number; netmask: string } | null;
  /** `-o`: one-packet scheduling (UDP). */
  onePacket: boolean;
  /** `--pe NAME` persistence engine (sip), if any. */
  pe?: string;
  /** In the order the paste lists them (ipvsadm sorts by address, port). */
  realServers: IpvsRealServer[];
  span: SourceSpan;
}

/** The node's IPVS table, as `ipvsadm-save -n` or `ipvsadm -Ln` shows it. */
export interface IpvsState {
  services: IpvsVirtualService[];
}

/** What kind of text a part of a node paste is. */
export type NodeDumpKind =
  | 'iptables-save'
  | 'ip6tables-save'
  | 'ipset-save'
  | 'ipset-list'
  | 'ipvsadm-save'
  | 'ipvsadm-list';

/** A contiguous part of a paste: 1-based first and last line (inclusive) in the whole paste. */
export interface NodeDumpSection {
  kind: NodeDumpKind;
  firstLine: number;
  lastLine: number;
}

/**
 * One paste holding any mix of iptables-save, ip6tables-save, ipset save/list and
 * ipvsadm-save/-Ln, split into sections and parsed; every position is in the whole paste.
 */
export interface NodeDump {
  /** The IPv4 tables (an empty ruleset when the paste has none). */
  ruleset: Ruleset;
  /** The IPv6 tables, when the paste has any. */
  ruleset6: Ruleset | null;
  ipsets: Record<string, IpsetState>;
  /** The IPVS table, when the paste has an ipvsadm section. */
  ipvs: IpvsState | null;
  diagnostics: Diagnostic[];
  sections: NodeDumpSection[];
  /** `ipvs` when the paste shows kube-proxy's IPVS mode (an ipvsadm section, or its KUBE-IPVS chains / sets). */
  mode: 'ipvs' | 'iptables';
}

export interface NodeContext {
  /** The node's addresses on the uplink; the first is its primary address. */
  nodeIPs: string[];
  /** Other addresses that are LOCAL to the node (kube-ipvs0 VIPs, a dummy interface…). */
  localAddresses: string[];
  /** This node's pod CIDR: pods here sit behind `podIface`. */
  podCIDR: string;
  /** Where outside clients arrive (default eth0). */
  uplink: string;
  /** Where pods on this node arrive (default cni0). */
  podIface: string;
  /** The node's address on the pod interface (default: the pod CIDR's first host). */
  podIfaceAddress?: string;
  /** net.ipv4.conf.all.route_localnet (kube-proxy sets 1). */
  routeLocalnet: boolean;
  /** `-m recent` lists: name → addresses present (fresh). Default empty. */
  recent: Record<string, string[]>;
  /** `-m set` sets: name → contents. A set not given is taken as empty, with a note. */
  ipsets: Record<string, IpsetState>;
  /**
   * The IPVS table (kube-proxy ipvs mode). Absent: no IPVS hooks, the walk is pure netfilter.
   * Present: every virtual-service address is LOCAL (kube-ipvs0, or a node IP for NodePorts)
   * and IPVS schedules new connections at LOCAL_IN / LOCAL_OUT (sim/ipvs.ts).
   */
  ipvs?: IpvsState;
}

// ---- Simulation output: the trace contract ----

export type EventKind = 'rule' | 'return' | 'policy';

/** What IPVS did at one of its hooks (net/netfilter/ipvs/ip_vs_core.c ip_vs_in). */
export type IpvsAction =
  /** A new connection matched a virtual service; the scheduler picks among `candidates`. */
  | 'schedule'
  /** The real server this path takes, and the rewrite towards it. */
  | 'forward'
  /** The packet matched no virtual service: IPVS accepts it, the stack delivers it to the local address. */
  | 'no-service'
  /** A service matched but IPVS does not schedule this packet (a TCP packet without SYN…): accepted. */
  | 'not-scheduled'
  /** The service has no usable real server: ICMP port unreachable, then DROP (ip_vs_leave). */
  | 'no-destination';

/**
 * A step of IPVS's own hooks. Not an nf_tables event (xtables-monitor --trace does not print
 * it), so it is kept beside TracePath.events, placed by `at`, not in them.
 */
export interface IpvsEvent {
  /** Index into TracePath.events of the first event after this step (= events.length at the time). */
  at: number;
  hook: HookName;
  leg: number;
  /** The kernel hook function, ip_vs_core.c: `ip_vs_remote_request4`, `ip_vs_local_request4`, `ip_vs_reply4`. */
  fn: string;
  /** The hook function's netfilter verdict: ACCEPT, STOLEN (sent on via ip_vs_nat_xmit), DROP. */
  verdict: 'ACCEPT' | 'STOLEN' | 'DROP';
  action: IpvsAction;
  /** The virtual service, as ipvsadm -Ln names it: `TCP  10.96.0.10:80`, `FWM  5`. */
  service?: string;
  scheduler?: string;
  /** Real servers the scheduler may pick on this step (weight > 0 …). */
  candidates?: number;
  /** The chosen real server `10.244.1.5:8080`. */
  realServer?: string;
  forward?: IpvsForward;
  before: Header;
  after: Header;
  /** Source line of the virtual service (or real server) in the paste, for the editor. */
  span?: SourceSpan;
  assumed?: string[];
  notes?: string[];
}

export interface Header {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  mark: number;
  ctmark: number;
}

export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

export interface TraceEvent {
  table: TableName;
  chain: string;
  kind: EventKind;
  /** 1-based rule position in its chain; null for return/policy. */
  rule: number | null;
  /** As xtables-monitor prints it: JUMP:X, GOTO:X, CONTINUE, ACCEPT, DROP, RETURN. */
  verdict: string;
  hook: HookName;
  /** Trace leg: 0, then 1 when a local packet comes back in on lo (the kernel gives it a new trace id). */
  leg: number;
  /** Global rule id, for the editor and canvas. */
  ruleId: number | null;
  /** An implicit return (falling off a user chain): the kernel prints nothing for it. */
  implicit?: boolean;
  before: Header;
  after: Header;
  /** Where the simulator had to assume, e.g. an unknown match taken as not matching. */
  assumed?: string[];
  /** Plain facts about this step (`DNAT to 10.244.1.5:8080`, `10.96.0.10,tcp:80 ∈ KUBE-CLUSTER-IP`). */
  notes?: string[];
}

/** A route decision between hooks, for the UI (not a kernel trace event). */
export interface RouteStep {
  leg: number;
  after: HookName;
  decision: 'local' | 'forward' | 'output';
  iface: string;
}

export type FinalVerdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'ERROR';

export interface FinalPacket {
  verdict: FinalVerdict;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  masqueraded: boolean;
  /** Which target changed the source, when `masqueraded`. */
  sourceNat?: 'SNAT' | 'MASQUERADE' | 'NETMAP';
  /**
   * SNAT/MASQUERADE left the source port to the kernel: it draws a free one from this range at
   * random (`--random-fully`, `--random`, or an original port outside `--to-ports`), so `sport` is
   * only a representative (the original port when it is in the range, else the range's first).
   */
  sportRandom?: PortRange;
  /**
   * Where it went: delivered to a local socket, sent out of an interface, or dropped/rejected.
   * `dropped` with verdict ACCEPT: netfilter let it through but routing discarded it
   * (multicast to a group the node has not joined, 127.0.0.0/8 from outside without route_localnet).
   */
  disposition: 'local' | 'out' | 'dropped' | 'rejected' | 'error';
  /** The interface it leaves by (out) or was delivered on (local). */
  iface: string;
  mark: number;
  /** The rule that dropped or rejected it. */
  byRuleId?: number;
}

export interface Assumption {
  ruleId: number;
  /** `table:chain:position`. */
  location: string;
  what: string;
}

export interface TracePath {
  probability: number;
  events: TraceEvent[];
  routes: RouteStep[];
  final: FinalPacket;
  /** At each random split on this path, 1 = the statistic rule matched, 0 = it did not. */
  choices: number[];
  /** Every place the walk had to assume (an unknown match taken as not matching…), matched or not. */
  assumptions: Assumption[];
  /** Set when the walk could not finish (jump cycle, runaway depth). */
  error?: string;
  /** IPVS steps on this path, in order (only when the node context has IPVS state). */
  ipvs?: IpvsEvent[];
}

export interface TraceResult {
  paths: TracePath[];
  /** Things the caller should know (sets taken as empty, nth split evenly…). */
  notes: string[];
}
