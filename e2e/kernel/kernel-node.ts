// A node under test: a topology, the dump loaded into its node namespace, the
// tracing table, one xtables-monitor and a sender per namespace. `trace()` sends
// first packets and returns what the kernel printed for each, per leg.

import type { FinalVerdict, Origin, Protocol } from '../../src/model';
import { ConntrackEvents, type CtEntry, ctKey, isLegOf, parseConntrack } from './ct-events';
import { run, sleep } from './exec';
import { type HandleMap, readHandles } from './handles';
import { dumpEvents, TRACE_TABLE, type TraceGroup, TraceMonitor } from './monitor';
import { Topology, type TopologySpec } from './netns';
import { Sender, type SendSpec } from './sender';
import { type PacketLine, parseNftTraceLine, type TraceLine } from './trace-lines';

export interface KernelPacket {
  origin: Origin;
  proto: Extract<Protocol, 'tcp' | 'udp'>;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Socket mark (SO_MARK), local origin only. */
  mark?: number;
}

export interface KernelEvent {
  leg: number;
  table: string;
  chain: string;
  kind: 'rule' | 'return' | 'policy';
  rule: number | null;
  verdict: string;
  /** The rule as xtables-monitor printed it. */
  ruleText: string;
  /**
   * On the first event of each base chain: the header the PACKET line before it
   * showed, i.e. as that event saw it (NAT not yet applied by this hook, a mark
   * set by this very rule already applied).
   */
  seen?: { src: string; sport: number; dst: string; dport: number; mark?: number };
}

export interface KernelFinal {
  verdict: FinalVerdict;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  masqueraded: boolean;
}

export interface KernelTrace {
  packet: KernelPacket;
  events: KernelEvent[];
  legs: number;
  final: KernelFinal;
  /** conntrack confirmed the connection (so final src/dst come from its reply tuple). */
  confirmed: boolean;
  /** errno the sending socket got at once (EPERM after an OUTPUT drop…). */
  sendError: string | null;
  /** The monitor's lines for this packet (for reports). */
  lines: string[];
  problems: string[];
}

const NFACCT_NAME = /--nfacct-name +(\S+)/g;
const TABLES_IN_SAVE = /^\*(raw|mangle|nat|filter|security)$/gm;

export class KernelNode {
  private topology: Topology | undefined;
  private monitor: TraceMonitor | undefined;
  private conntrack: ConntrackEvents | undefined;
  private senders = new Map<'client' | 'pod' | 'node', Sender>();
  private handles: HandleMap = new Map();
  private recentLists: string[] = [];
  private probePort = 9;

  constructor(
    readonly dumpText: string,
    readonly spec: TopologySpec,
    /** `ipset save` text to restore in the node namespace first (ipsets are per netns). */
    readonly ipsetText: string | null = null,
  ) {}

  get names() {
    if (!this.topology) throw new Error('not set up');
    return this.topology.names;
  }

  private exec(role: 'node' | 'client' | 'pod', argv: string[]): string[] {
    if (!this.topology) throw new Error('not set up');
    return this.topology.exec(role, argv);
  }

  async setup(): Promise<void> {
    this.topology = await Topology.create(this.spec);
    const v6 = this.spec.family === 6;
    // The dump's `-m set` rules need their sets to exist before iptables-restore.
    if (this.ipsetText !== null) await run(this.exec('node', ['ipset', 'restore']), { input: this.ipsetText });
    // kube-proxy creates its nfacct counters over netlink before it restores rules naming them
    // (pkg/proxy/iptables/proxier.go, nfacct.go); they are per network namespace.
    for (const name of new Set([...this.dumpText.matchAll(NFACCT_NAME)].map((m) => m[1]))) {
      await run(this.exec('node', ['nfacct', 'add', name]));
    }
    await run(this.exec('node', [v6 ? 'ip6tables-restore' : 'iptables-restore']), { input: this.dumpText });
    const fam = v6 ? 'ip6' : 'ip';
    const addr = v6 ? 'ipv6_addr' : 'ipv4_addr';
    const ip = fam;
    const match = `meta l4proto . ${ip} saddr . th sport . ${ip} daddr . th dport @tuples meta nftrace set 1`;
    await run(this.exec('node', ['nft', '-f', '-']), {
      input: `table ${fam} ${TRACE_TABLE} {
  set tuples { type inet_proto . ${addr} . inet_service . ${addr} . inet_service; }
  chain pre { type filter hook prerouting priority -350; policy accept; ${match}; }
  chain out { type filter hook output priority -350; policy accept; ${match}; }
}
`,
    });
    const tables = [...new Set([...this.dumpText.matchAll(TABLES_IN_SAVE)].map((m) => m[1]))];
    this.handles = await readHandles((argv) => this.exec('node', argv), fam, tables);
    const recent = await run(this.exec('node', ['sh', '-c', 'ls /proc/net/xt_recent 2>/dev/null || true']));
    this.recentLists = recent.stdout.split('\n').filter(Boolean);

    this.startMonitor();
    this.conntrack = new ConntrackEvents([
      'stdbuf',
      '-oL',
      ...this.exec('node', ['conntrack', '-E', '-e', 'NEW', '-f', v6 ? 'ipv6' : 'ipv4']),
    ]);
    this.conntrack.start();
    for (const role of ['client', 'pod', 'node'] as const) {
      const sender = new Sender(this.exec(role, []));
      sender.start();
      this.senders.set(role, sender);
    }
    await this.probe();
  }

  private startMonitor(): void {
    this.monitor?.stop();
    // xtables-monitor is the trace contract's source; for IPv6 it cannot print
    // the rules (see parseNftTraceLine), so nft prints the same events.
    this.monitor =
      this.spec.family === 6
        ? new TraceMonitor(
            ['stdbuf', '-oL', ...this.exec('node', ['nft', '-a', 'monitor', 'trace'])],
            parseNftTraceLine,
          )
        : new TraceMonitor(['stdbuf', '-oL', ...this.exec('node', ['xtables-monitor', '--trace'])]);
    this.monitor.start();
  }

  /** The monitor has exited: events came faster than it read them (ENOBUFS) on a loaded machine. */
  get monitorExited(): boolean {
    return this.monitor?.exited ?? false;
  }

  /** Starts a new monitor after the old one died, and waits until it prints. */
  async restartMonitor(): Promise<void> {
    this.startMonitor();
    await this.probe();
  }

  /**
   * Wait until the monitor prints: send a traced UDP packet from the client to
   * the node's discard port and wait for its trace (it walks the dump like any
   * packet; its events are dropped).
   */
  private async probe(): Promise<void> {
    const monitor = this.mon();
    const packet: KernelPacket = {
      origin: 'external',
      proto: 'udp',
      src: this.spec.clientIP,
      sport: 9,
      dst: this.spec.nodeIP,
      dport: this.probePort,
    };
    await this.addTuples([packet]);
    for (let attempt = 0; attempt < 10; attempt++) {
      await this.sender('external').send([packet]);
      const ok = await monitor.settle(() => monitor.find((g) => sportOf(g.firstPacket) === '9').length > 0, 100, 500);
      if (ok) {
        monitor.drop(monitor.find(() => true));
        return;
      }
    }
    throw new Error(`xtables-monitor printed nothing for the probe packet: ${monitor.stderr.join('').trim()}`);
  }

  private mon(): TraceMonitor {
    if (!this.monitor) throw new Error('not set up');
    return this.monitor;
  }

  private sender(origin: Origin): Sender {
    const role = origin === 'external' ? 'client' : origin === 'pod' ? 'pod' : 'node';
    const s = this.senders.get(role);
    if (!s) throw new Error('not set up');
    return s;
  }

  private async addTuples(packets: KernelPacket[]): Promise<void> {
    const elems = packets.map((p) => `${p.proto} . ${p.src} . ${p.sport} . ${p.dst} . ${p.dport}`).join(', ');
    const fam = this.spec.family === 6 ? 'ip6' : 'ip';
    await run(this.exec('node', ['nft', 'add', 'element', fam, TRACE_TABLE, 'tuples', `{ ${elems} }`]));
  }

  /** Empty every `-m recent` list, then add the given entries (name → addresses). */
  async setRecent(entries: Record<string, string[]>): Promise<void> {
    if (this.recentLists.length === 0 && Object.keys(entries).length === 0) return;
    const cmds = this.recentLists.map((l) => `echo / > /proc/net/xt_recent/${l}`);
    for (const [name, addrs] of Object.entries(entries)) {
      for (const a of addrs) cmds.push(`echo +${a} > /proc/net/xt_recent/${name}`);
    }
    await run(this.exec('node', ['sh', '-c', cmds.join('; ')]));
  }

  /**
   * Send the packets (all of one origin) one after another and return the
   * kernel's trace of each. Source ports must be unique within this node.
   */
  async trace(packets: KernelPacket[], { gapMs = 3 } = {}): Promise<KernelTrace[]> {
    const monitor = this.mon();
    const origin = packets[0].origin;
    if (packets.some((p) => p.origin !== origin)) throw new Error('one origin per batch');
    await this.addTuples(packets);
    const sent = Date.now();
    const result = await this.sender(origin).send(
      packets.map(({ proto, src, sport, dst, dport, mark }): SendSpec => ({ proto, src, sport, dst, dport, mark })),
      { gapMs, timeoutMs: 5000 + packets.length * (gapMs + 50) },
    );
    const sports = new Set(packets.map((p) => String(p.sport)));
    const seen = () => {
      const got = new Set(
        monitor.find((g) => sports.has(sportOf(g.firstPacket) ?? '')).map((g) => sportOf(g.firstPacket)),
      );
      return [...sports].every((s) => got.has(s));
    };
    // Quiet for 200 ms: a hook's events come in one burst, the lo leg right after.
    const settled = await monitor.settle(seen, 200, 2000 + packets.length * 20, sent);
    await this.awaitConntrack(
      packets.filter((p) => !dropped(monitor.find((g) => isLegOf(g.firstPacket, p, undefined)))),
    );
    const conntrack = this.conntrack?.entries ?? new Map<string, CtEntry>();
    return packets.map((packet, i) => {
      const entry = conntrack.get(packetKey(packet));
      const groups = monitor.find((g) => isLegOf(g.firstPacket, packet, entry));
      monitor.drop(groups);
      const trace = this.toTrace(packet, groups, entry, result.errors[i] ?? null);
      if (!settled && groups.length === 0) trace.problems.push('no trace printed within the time limit');
      if (monitor.exited) trace.problems.push(`the trace monitor exited: ${monitor.stderr.join('').trim()}`);
      return trace;
    });
  }

  /**
   * conntrack's NEW events come from another process and, on a loaded machine, can trail the
   * trace. A packet netfilter did not drop normally has an entry: wait for it (bounded), then ask
   * for the ones still missing (an unanswered SYN's entry lives on). Without the entry the final
   * header falls back to the last PACKET line, which shows no SNAT or MASQUERADE, and the lo leg
   * after a new source port could not be told from other traces.
   */
  private async awaitConntrack(packets: KernelPacket[]): Promise<void> {
    const events = this.conntrack;
    if (!events || packets.length === 0) return;
    const missing = () => packets.filter((p) => !events.entries.has(packetKey(p)));
    const deadline = Date.now() + 500;
    while (missing().length > 0 && Date.now() < deadline) await sleep(15);
    for (const p of missing()) {
      const got = await run(
        this.exec('node', [
          'conntrack',
          '-G',
          '-f',
          this.spec.family === 6 ? 'ipv6' : 'ipv4',
          '-p',
          p.proto,
          '-s',
          p.src,
          '-d',
          p.dst,
          '--sport',
          String(p.sport),
          '--dport',
          String(p.dport),
        ]),
        { allowFailure: true, timeoutMs: 5000 },
      );
      const entry = got.code === 0 ? parseConntrack(got.stdout.split('\n')[0] ?? '') : null;
      if (entry) events.entries.set(packetKey(p), entry);
    }
  }

  private toTrace(
    packet: KernelPacket,
    groups: TraceGroup[],
    entry: CtEntry | undefined,
    sendError: string | null,
  ): KernelTrace {
    const problems: string[] = [];
    const events: KernelEvent[] = [];
    const lines: string[] = [];
    let lastPacket: PacketLine | undefined;
    groups.forEach((group, leg) => {
      // The PACKET line printed before each base chain's first event.
      const seenBefore = new Map<TraceLine, PacketLine>();
      let pending: PacketLine | undefined;
      for (const line of group.lines) {
        if (line.type === 'packet') {
          lastPacket = line;
          pending = line;
          continue;
        }
        if (line.table === TRACE_TABLE) continue;
        if (pending) seenBefore.set(line, pending);
        pending = undefined;
        lines.push(line.raw.trim());
      }
      for (const t of dumpEvents(group)) {
        let rule: number | null = null;
        if (t.kind === 'rule' && t.handle !== null) {
          const pos = this.handles.get(t.table)?.get(t.handle);
          if (!pos) problems.push(`no rule with handle ${t.handle} in table ${t.table}`);
          else if (pos.chain !== t.chain) problems.push(`handle ${t.handle} is in ${pos.chain}, trace says ${t.chain}`);
          rule = pos?.position ?? null;
        }
        const p = seenBefore.get(t)?.fields;
        const seen = p && {
          src: p.SRC,
          sport: Number(p.SPORT),
          dst: p.DST,
          dport: Number(p.DPORT),
          mark: p.MARK === undefined ? undefined : Number.parseInt(p.MARK, 16),
        };
        events.push({
          leg,
          table: t.table,
          chain: t.chain,
          kind: t.kind,
          rule,
          verdict: t.verdict,
          ruleText: t.ruleText,
          seen,
        });
      }
    });
    if (groups.length === 0) problems.push('the kernel printed no trace for this packet');
    const last = events.at(-1);
    let verdict: FinalVerdict = 'ACCEPT';
    if (last?.verdict === 'DROP')
      verdict = / -j REJECT\b|\breject\b|xt target "?REJECT/.test(last.ruleText) ? 'REJECT' : 'DROP';
    let final: KernelFinal;
    if (entry && verdict === 'ACCEPT') {
      final = {
        verdict,
        src: entry.replyDst,
        sport: entry.replyDport,
        dst: entry.replySrc,
        dport: entry.replySport,
        masqueraded: false,
      };
    } else {
      const f = lastPacket?.fields;
      final = {
        verdict,
        src: f?.SRC ?? packet.src,
        sport: Number(f?.SPORT ?? packet.sport),
        dst: f?.DST ?? packet.dst,
        dport: Number(f?.DPORT ?? packet.dport),
        masqueraded: false,
      };
    }
    final.masqueraded = final.src !== packet.src || final.sport !== packet.sport;
    return {
      packet,
      events,
      legs: groups.length,
      final,
      confirmed: entry !== undefined,
      sendError,
      lines,
      problems,
    };
  }

  async teardown(): Promise<void> {
    this.monitor?.stop();
    this.conntrack?.stop();
    for (const s of this.senders.values()) s.stop();
    this.senders.clear();
    await this.topology?.destroy();
    this.topology = undefined;
  }
}

const packetKey = (p: KernelPacket) => ctKey(p.proto, p.src, p.sport, p.dst, p.dport);

/** The packet's first leg ended in a drop (or printed nothing): no conntrack entry to wait for. */
function dropped(groups: TraceGroup[]): boolean {
  const first = groups[0];
  return !first || dumpEvents(first).at(-1)?.verdict === 'DROP';
}

function sportOf(p: PacketLine | undefined): string | undefined {
  return p?.fields.SPORT;
}
