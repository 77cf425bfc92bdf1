// A small python3 process per namespace that sends first packets on request:
// a TCP SYN (non-blocking connect, then close: nothing more is sent) or one UDP
// datagram, from a socket bound to the exact source address and port.
// Requests and answers are JSON lines; every request has a deadline.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { killGroup, trackChild } from './exec';

export interface SendSpec {
  proto: 'tcp' | 'udp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** SO_MARK: the packet's mark as it enters OUTPUT (local origin). */
  mark?: number;
}

export interface SendResult {
  /** errno name per packet when the kernel refused at once (EPERM after an OUTPUT DROP…), else null. */
  errors: (string | null)[];
}

const SCRIPT = String.raw`
import errno, json, socket, sys, time
def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET
def err(e):
    return errno.errorcode.get(e.errno, str(e)) if isinstance(e, OSError) and e.errno else str(e)
def bind(s, p):
    # A local packet may carry a source the node does not own, as the leg IPVS re-injects into
    # LOCAL_OUT after its DNAT does (a pod's own address, for hairpin). IP_TRANSPARENT (19) lets
    # the socket bind it and route from it (FLOWI_FLAG_ANYSRC); only then is it set.
    try:
        s.bind((p["src"], p["sport"]))
    except OSError as e:
        if e.errno != errno.EADDRNOTAVAIL or fam(p["src"]) != socket.AF_INET:
            raise
        s.setsockopt(socket.IPPROTO_IP, 19, 1)
        s.bind((p["src"], p["sport"]))

for line in sys.stdin:
    req = json.loads(line)
    errors = []
    held = []
    for p in req["packets"]:
        try:
            if p["proto"] == "tcp":
                s = socket.socket(fam(p["src"]), socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if p.get("mark"):
                    s.setsockopt(socket.SOL_SOCKET, 36, p["mark"])
                bind(s, p)
                s.setblocking(False)
                rc = s.connect_ex((p["dst"], p["dport"]))
                held.append(s)
                errors.append(None if rc in (0, errno.EINPROGRESS, errno.ECONNREFUSED) else errno.errorcode.get(rc, str(rc)))
            else:
                s = socket.socket(fam(p["src"]), socket.SOCK_DGRAM)
                if fam(p["src"]) == socket.AF_INET:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                if p.get("mark"):
                    s.setsockopt(socket.SOL_SOCKET, 36, p["mark"])
                bind(s, p)
                try:
                    s.sendto(b"chainwalk", (p["dst"], p["dport"]))
                    errors.append(None)
                finally:
                    s.close()
        except Exception as e:
            errors.append(err(e))
        if req.get("gapMs"):
            time.sleep(req["gapMs"] / 1000.0)
    # Closing a socket in SYN_SENT sends nothing; give the SYN time to leave first.
    time.sleep(0.02)
    for s in held:
        s.close()
    sys.stdout.write(json.dumps({"id": req["id"], "errors": errors}) + "\n")
    sys.stdout.flush()
`;

export class Sender {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer = '';
  private nextId = 1;
  private pending = new Map<number, (r: SendResult | Error) => void>();
  private stderr = '';

  constructor(private readonly argvPrefix: string[]) {}

  start(): void {
    const [cmd, ...args] = [...this.argvPrefix, 'python3', '-u', '-c', SCRIPT];
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    trackChild(child.pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf('\n');
        const msg = JSON.parse(line) as { id: number; errors: (string | null)[] };
        this.pending.get(msg.id)?.({ errors: msg.errors });
        this.pending.delete(msg.id);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
    child.on('exit', (code) => {
      for (const resolve of this.pending.values()) resolve(new Error(`sender exited (${code}): ${this.stderr.trim()}`));
      this.pending.clear();
    });
    child.stdin.on('error', () => {});
  }

  send(packets: SendSpec[], { gapMs = 0, timeoutMs = 5000 } = {}): Promise<SendResult> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('sender not started'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`sender timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        if (r instanceof Error) reject(r);
        else resolve(r);
      });
      child.stdin.write(`${JSON.stringify({ id, packets, gapMs })}\n`);
    });
  }

  stop(): void {
    killGroup(this.child?.pid);
    this.child = undefined;
  }
}
