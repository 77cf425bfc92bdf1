// One `xtables-monitor --trace` per node namespace, its lines grouped by trace
// id. xtables-monitor block-buffers a pipe, so it runs under `stdbuf -oL`.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { killGroup, sleep, trackChild } from './exec';
import { type MonitorLine, type PacketLine, parseMonitorLine, type TraceLine } from './trace-lines';

/** Our own tracing table: its events are never part of a case's trace. */
export const TRACE_TABLE = 'cwtrace';

export interface TraceGroup {
  id: string;
  /** Arrival order of the group's first line (legs are ordered by it). */
  seq: number;
  lines: MonitorLine[];
  firstPacket?: PacketLine;
  lastAt: number;
}

export class TraceMonitor {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer = '';
  private seq = 0;
  readonly groups = new Map<string, TraceGroup>();
  readonly stderr: string[] = [];
  lastLineAt = 0;
  exited = false;

  constructor(
    private readonly argv: string[],
    private readonly parse: (line: string) => MonitorLine | null = parseMonitorLine,
  ) {}

  start(): void {
    const [cmd, ...args] = this.argv;
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    trackChild(child.pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.on('exit', () => {
      this.exited = true;
    });
    child.on('error', (e) => {
      this.exited = true;
      this.stderr.push(String(e));
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.onLine(line);
      nl = this.buffer.indexOf('\n');
    }
  }

  private onLine(raw: string): void {
    const line = this.parse(raw);
    if (!line) return;
    const now = Date.now();
    this.lastLineAt = now;
    let group = this.groups.get(line.id);
    if (!group) {
      group = { id: line.id, seq: this.seq++, lines: [], lastAt: now };
      this.groups.set(line.id, group);
    }
    group.lines.push(line);
    group.lastAt = now;
    if (line.type === 'packet' && !group.firstPacket) group.firstPacket = line;
  }

  /** Groups whose first packet matches, e.g. by source port. */
  find(pred: (g: TraceGroup) => boolean): TraceGroup[] {
    return [...this.groups.values()].filter(pred).sort((a, b) => a.seq - b.seq);
  }

  /** Forget groups (a case is done with them). */
  drop(groups: TraceGroup[]): void {
    for (const g of groups) this.groups.delete(g.id);
  }

  /**
   * Wait until `ready()` holds and no line has arrived for `quietMs`, or
   * `maxMs` has passed. Returns whether `ready()` held.
   */
  async settle(ready: () => boolean, quietMs: number, maxMs: number, since = Date.now()): Promise<boolean> {
    const deadline = since + maxMs;
    for (;;) {
      const now = Date.now();
      const ok = ready();
      if (ok && now - Math.max(this.lastLineAt, since) >= quietMs) return true;
      if (now >= deadline || this.exited) return ok;
      await sleep(15);
    }
  }

  stop(): void {
    killGroup(this.child?.pid);
    this.child = undefined;
  }
}

/** Events of one trace group without our own table, as parsed. */
export function dumpEvents(group: TraceGroup): TraceLine[] {
  return group.lines.filter((l): l is TraceLine => l.type === 'trace' && l.table !== TRACE_TABLE);
}
