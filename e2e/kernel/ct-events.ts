// What conntrack confirmed, from `conntrack -E -e NEW` in the node namespace.
// The reply tuple of a NEW event shows the NAT the first packet got (DNAT in
// its source, SNAT/MASQUERADE in its destination). Events, not `conntrack -L`:
// an entry can be gone before anyone lists it (a peer's RST closes it at once).

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { killGroup, trackChild } from './exec';
import type { PacketLine } from './trace-lines';

export interface CtEntry {
  proto: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  replySrc: string;
  replyDst: string;
  replySport: number;
  replyDport: number;
}

export const ctKey = (proto: string, src: string, sport: number, dst: string, dport: number) =>
  `${proto} ${src}:${sport} ${dst}:${dport}`;

/** `[NEW] tcp 6 120 SYN_SENT src=A dst=B sport=1 dport=2 [UNREPLIED] src=B' dst=A' sport=2' dport=1'` */
export function parseConntrack(line: string): CtEntry | null {
  const words = line.trim().split(/\s+/);
  const proto = words[0]?.startsWith('[') ? words[1] : words[0];
  if (proto !== 'tcp' && proto !== 'udp') return null;
  const all = (key: string) => [...line.matchAll(new RegExp(`\\b${key}=(\\S+)`, 'g'))].map((m) => m[1]);
  const [src, dst, sport, dport] = [all('src'), all('dst'), all('sport'), all('dport')];
  if (src.length < 2 || dst.length < 2 || sport.length < 2 || dport.length < 2) return null;
  return {
    proto,
    src: src[0],
    dst: dst[0],
    sport: Number(sport[0]),
    dport: Number(dport[0]),
    replySrc: src[1],
    replyDst: dst[1],
    replySport: Number(sport[1]),
    replyDport: Number(dport[1]),
  };
}

/**
 * Whether a trace group is a leg of this packet: its first PACKET line shows the packet as sent,
 * or (the lo leg) as SNAT/MASQUERADE left it, which is the conntrack reply tuple turned round.
 * `--random-fully` gives the lo leg a new source port even when the address stays
 * (nf_nat_core.c get_unique_tuple); the kernel keeps tracing it (nf_trace survives lo).
 */
export function isLegOf(
  first: PacketLine | undefined,
  packet: Pick<CtEntry, 'sport'>,
  entry: CtEntry | undefined,
): boolean {
  const f = first?.fields;
  if (!f || f.SRC === undefined) return false;
  if (f.SPORT === String(packet.sport)) return true;
  return (
    entry !== undefined &&
    f.SRC === entry.replyDst &&
    f.SPORT === String(entry.replyDport) &&
    f.DST === entry.replySrc &&
    f.DPORT === String(entry.replySport)
  );
}

export class ConntrackEvents {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer = '';
  readonly entries = new Map<string, CtEntry>();

  constructor(private readonly argv: string[]) {}

  start(): void {
    const [cmd, ...args] = this.argv;
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    trackChild(child.pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const e = parseConntrack(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
        if (e) this.entries.set(ctKey(e.proto, e.src, e.sport, e.dst, e.dport), e);
      }
    });
    child.stderr.resume();
  }

  stop(): void {
    killGroup(this.child?.pid);
    this.child = undefined;
  }
}
