import { describe, expect, it } from 'vitest';
import type { NodeContext, Packet, TraceEvent, TraceResult } from '../model';
import { parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '.';

const ext = (dst: string, dport = 80, extra: Partial<Packet> = {}): Packet => ({
  origin: 'external',
  proto: 'tcp',
  src: '192.168.0.1',
  sport: 40000,
  dst,
  dport,
  ...extra,
});

function trace(dump: string, packet: Packet, ctx: Partial<NodeContext> = {}): TraceResult {
  const { ruleset, diagnostics } = parseIptablesSave(dump);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return simulate(ruleset, nodeContext(ctx), packet);
}

const brief = (events: TraceEvent[]) =>
  events
    .filter((e) => !e.implicit)
    .map((e) => `${e.table}:${e.chain}:${e.kind === 'rule' ? e.rule : e.kind}:${e.verdict}`);

const NAT_BASE = ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';
const FILTER_BASE = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';

describe('chains, jumps and verdicts', () => {
  it('goto does not return to the caller', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}:A - [0:0]\n:B - [0:0]\n-A INPUT -g A\n-A INPUT -j DROP\n-A A -j B\n-A B -j RETURN\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual([
      'filter:INPUT:1:GOTO:A',
      'filter:A:1:JUMP:B',
      'filter:B:1:RETURN',
      'filter:INPUT:policy:ACCEPT',
    ]);
    expect(r.paths[0].final).toMatchObject({ verdict: 'ACCEPT', disposition: 'local' });
  });

  it('a jump returns to the rule after it; falling off a user chain is an implicit return the kernel does not print', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}:A - [0:0]\n-A INPUT -j A\n-A INPUT -j DROP\n-A A -p udp -j ACCEPT\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    const ev = r.paths[0].events;
    expect(ev.map((e) => [e.chain, e.kind, e.implicit ?? false])).toEqual([
      ['INPUT', 'rule', false],
      ['A', 'return', true],
      ['INPUT', 'rule', false],
    ]);
    expect(r.paths[0].final).toMatchObject({ verdict: 'DROP', disposition: 'dropped' });
  });

  it('a comment that is the bare word -j does not hide the jump: the walk enters MY and drops', () => {
    // iptables-save prints `--comment -j` unquoted (xtables_save_string); getopt takes it as the comment.
    const r = trace(
      `*filter\n${FILTER_BASE}:MY - [0:0]\n-A INPUT -m comment --comment -j -j MY\n-A MY -j DROP\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual(['filter:INPUT:1:JUMP:MY', 'filter:MY:1:DROP']);
    expect(r.paths[0].final.verdict).toBe('DROP');
    expect(r.paths[0].assumptions).toEqual([]);
  });

  it('a DROP policy drops what no rule accepted', () => {
    const r = trace(
      `*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual(['filter:INPUT:policy:DROP']);
    expect(r.paths[0].final.verdict).toBe('DROP');
  });

  it('REJECT prints DROP in the trace and says REJECT in the final verdict', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}-A INPUT -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual(['filter:INPUT:1:DROP']);
    expect(r.paths[0].final).toMatchObject({ verdict: 'REJECT', disposition: 'rejected', byRuleId: 0 });
  });

  it('ACCEPT ends only the current table: the next table at the hook still runs', () => {
    const r = trace(
      `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j ACCEPT\nCOMMIT\n*nat\n${NAT_BASE}COMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual([
      'mangle:PREROUTING:1:ACCEPT',
      'nat:PREROUTING:policy:ACCEPT',
      'nat:INPUT:policy:ACCEPT',
    ]);
  });

  it('MARK and LOG continue; the mark is visible to later rules', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}-A INPUT -j LOG --log-prefix "x: "\n-A INPUT -j MARK --set-xmark 0x4000/0x4000\n-A INPUT -m mark --mark 0x4000/0x4000 -j DROP\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual([
      'filter:INPUT:1:CONTINUE',
      'filter:INPUT:2:CONTINUE',
      'filter:INPUT:3:DROP',
    ]);
    expect(r.paths[0].events[1].after.mark).toBe(0x4000);
  });

  it('CONNMARK shifts as connmark_tg_shift does: SAVE and RESTORE shift the copied bits, SET its result', () => {
    const mangle = (rules: string[]) =>
      `*mangle\n:PREROUTING ACCEPT [0:0]\n${rules.map((r) => `-A PREROUTING ${r}\n`).join('')}COMMIT\n`;
    const r = trace(
      mangle([
        '-j MARK --set-xmark 0x12/0xffffffff',
        // ctmark = (0 & ~0xff00) ^ ((0x12 & 0xff) << 8) = 0x1200
        '-j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff00 --left-shift-mark 8',
        '-m connmark --mark 0x1200',
        // mark = (0x12 & ~0xf) ^ ((0x1200 & 0xff00) >> 12) = 0x10 ^ 0x1 = 0x11
        '-j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff00 --right-shift-mark 12',
        '-m mark --mark 0x11',
        // ctmark = ((0x1200 & ~0xffffffff) ^ 0x3) << 4 = 0x30
        '-j CONNMARK --set-xmark 0x3/0xffffffff --left-shift-mark 4',
        '-m connmark --mark 0x30',
      ]),
      ext('192.168.0.2'),
    );
    const ev = r.paths[0].events;
    expect(brief(ev).slice(0, 7)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `mangle:PREROUTING:${n}:CONTINUE`));
    expect([ev[1].after.ctmark, ev[3].after.mark, ev[5].after.ctmark]).toEqual([0x1200, 0x11, 0x30]);
  });

  it('a jump cycle ends with a clear error, not a hang', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(r.paths[0].error).toMatch(/jump cycle/);
    expect(r.paths[0].final.verdict).toBe('ERROR');
  });

  it('a goto cycle ends with a clear error too', () => {
    const r = trace(
      `*filter\n${FILTER_BASE}:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -g B\n-A B -g A\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(r.paths[0].error).toMatch(/cycle/);
  });

  it('jumps nested deeper than the kernel allows end with an error', () => {
    const names = Array.from({ length: 20 }, (_, i) => `C${i}`);
    const dump = `*filter\n${FILTER_BASE}${names.map((n) => `:${n} - [0:0]\n`).join('')}-A INPUT -j C0\n${names
      .slice(0, -1)
      .map((n, i) => `-A ${n} -j C${i + 1}\n`)
      .join('')}COMMIT\n`;
    expect(trace(dump, ext('192.168.0.2')).paths[0].error).toMatch(/deeper than 16/);
  });
});

const KUBE = `*nat
${NAT_BASE}:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-A - [0:0]
:KUBE-SEP-B - [0:0]
:KUBE-SEP-C - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-X - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "ns/x:http" -m tcp --dport 30080 -j KUBE-SVC-X
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-A -s 10.244.0.5/32 -m comment --comment "ns/x:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-A -p tcp -m comment --comment "ns/x:http" -m tcp -j DNAT --to-destination 10.244.0.5:8080
-A KUBE-SEP-B -s 10.244.1.5/32 -m comment --comment "ns/x:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-B -p tcp -m comment --comment "ns/x:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-C -s 192.168.0.2/32 -m comment --comment "ns/x:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-C -p tcp -m comment --comment "ns/x:http" -m tcp -j DNAT --to-destination 192.168.0.2:8080
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "ns/x:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-X
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "ns/x:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-X -m comment --comment "ns/x:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A
-A KUBE-SVC-X -m comment --comment "ns/x:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B
-A KUBE-SVC-X -m comment --comment "ns/x:http -> 192.168.0.2:8080" -j KUBE-SEP-C
COMMIT
`;

describe('kube-proxy Services', () => {
  it('splits at each statistic rule into paths whose probabilities sum to 1', () => {
    const r = trace(KUBE, ext('10.96.0.10'));
    expect(r.paths.map((p) => p.final.dst)).toEqual(['10.244.0.5', '10.244.1.5', '192.168.0.2']);
    const p = r.paths.map((x) => x.probability);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The kernel keeps round(p·2^31): 0.33333333349 → 715827883/2^31.
    expect(p[0]).toBe(715827883 / 2 ** 31);
    expect(p[1]).toBeCloseTo((1 - p[0]) * 0.5, 15);
    expect(r.paths.map((x) => x.choices)).toEqual([[1], [0, 1], [0, 0]]);
  });

  it('DNAT decides the route: forward to a pod, local delivery to the node itself', () => {
    const r = trace(KUBE, ext('10.96.0.10'));
    expect(r.paths.map((p) => [p.final.disposition, p.final.iface])).toEqual([
      ['out', 'cni0'],
      ['out', 'eth0'],
      ['local', 'eth0'],
    ]);
    expect(brief(r.paths[2].events).slice(-1)).toEqual(['nat:INPUT:policy:ACCEPT']);
  });

  it('MASQUERADE takes the address of the interface the packet leaves by', () => {
    const r = trace(KUBE, ext('10.96.0.10'));
    expect(r.paths.map((p) => [p.final.src, p.final.masqueraded])).toEqual([
      ['10.244.0.1', true],
      ['192.168.0.2', true],
      ['192.168.0.1', false],
    ]);
  });

  it('a pod reaching its own Service is hairpinned: KUBE-SEP marks it for masquerade', () => {
    const r = trace(KUBE, {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.5',
      sport: 41000,
      dst: '10.96.0.10',
      dport: 80,
    });
    const own = r.paths[0];
    expect(brief(own.events)).toContain('nat:KUBE-SEP-A:1:JUMP:KUBE-MARK-MASQ');
    expect(own.final).toMatchObject({ src: '10.244.0.1', dst: '10.244.0.5', dport: 8080, masqueraded: true });
    expect(r.paths[1].final.masqueraded).toBe(false);
  });

  it('a NodePort on a node IP goes through KUBE-NODEPORTS via addrtype LOCAL', () => {
    const r = trace(KUBE, ext('192.168.0.2', 30080));
    expect(brief(r.paths[0].events).slice(0, 3)).toEqual([
      'nat:PREROUTING:1:JUMP:KUBE-SERVICES',
      'nat:KUBE-SERVICES:2:JUMP:KUBE-NODEPORTS',
      'nat:KUBE-NODEPORTS:1:JUMP:KUBE-SVC-X',
    ]);
    expect(r.paths).toHaveLength(3);
  });

  it('a packet to an address that is not the node’s skips the nodeports rule', () => {
    const r = trace(KUBE, ext('192.168.0.9', 30080));
    expect(brief(r.paths[0].events)).toEqual([
      'nat:PREROUTING:1:JUMP:KUBE-SERVICES',
      'nat:PREROUTING:policy:ACCEPT',
      'nat:POSTROUTING:1:JUMP:KUBE-POSTROUTING',
      'nat:KUBE-POSTROUTING:1:RETURN',
      'nat:POSTROUTING:policy:ACCEPT',
    ]);
  });

  it('local → local: the lo leg sees PREROUTING and INPUT again, without nat', () => {
    const r = trace(`*nat\n${NAT_BASE}COMMIT\n*filter\n${FILTER_BASE}COMMIT\n`, {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.2',
      sport: 42000,
      dst: '192.168.0.2',
      dport: 22,
    });
    const ev = r.paths[0].events;
    expect(ev.map((e) => `${e.leg}:${e.table}:${e.chain}`)).toEqual([
      '0:nat:OUTPUT',
      '0:filter:OUTPUT',
      '0:nat:POSTROUTING',
      '1:filter:INPUT',
    ]);
    expect(r.paths[0].final).toMatchObject({ disposition: 'local', iface: 'lo' });
  });

  it('NOTRACK in raw skips nat entirely and --ctstate NEW no longer matches', () => {
    const r = trace(
      `*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -j NOTRACK\nCOMMIT\n*nat\n${NAT_BASE}COMMIT\n*filter\n${FILTER_BASE}-A INPUT -m conntrack --ctstate NEW -j DROP\n-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    expect(brief(r.paths[0].events)).toEqual([
      'raw:PREROUTING:1:CONTINUE',
      'raw:PREROUTING:policy:ACCEPT',
      'filter:INPUT:2:ACCEPT',
    ]);
  });

  it('ClientIP affinity follows a supplied recent entry', () => {
    const dump = `*nat\n${NAT_BASE}:KUBE-SEP-B - [0:0]\n:KUBE-SVC-X - [0:0]\n-A PREROUTING -d 10.96.0.10/32 -j KUBE-SVC-X\n-A KUBE-SEP-B -p tcp -m recent --set --name KUBE-SEP-B --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:8080\n-A KUBE-SVC-X -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-B --mask 255.255.255.255 --rsource -j KUBE-SEP-B\n-A KUBE-SVC-X -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B\n-A KUBE-SVC-X -j DROP\nCOMMIT\n`;
    expect(trace(dump, ext('10.96.0.10')).paths).toHaveLength(2);
    const sticky = trace(dump, ext('10.96.0.10'), { recent: { 'KUBE-SEP-B': ['192.168.0.1'] } });
    expect(sticky.paths).toHaveLength(1);
    expect(brief(sticky.paths[0].events)[1]).toBe('nat:KUBE-SVC-X:1:JUMP:KUBE-SEP-B');
  });

  it('ipset matches use the sets the caller supplies, and say when a set was not given', () => {
    const dump = `*nat\n${NAT_BASE}-A PREROUTING -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\n-A PREROUTING -j DNAT --to-destination 10.0.0.1\nCOMMIT\n`;
    const empty = trace(dump, ext('10.96.0.10'));
    expect(empty.paths[0].final.dst).toBe('10.0.0.1');
    expect(empty.paths[0].assumptions[0].what).toMatch(/not supplied/);
    const given = trace(dump, ext('10.96.0.10'), {
      ipsets: { 'KUBE-CLUSTER-IP': { type: 'hash:ip,port', entries: ['10.96.0.10,tcp:80'] } },
    });
    expect(brief(given.paths[0].events)[0]).toBe('nat:PREROUTING:1:ACCEPT');
  });

  it('an unknown match is taken as not matching, and the path says it assumed', () => {
    const r = trace(`*filter\n${FILTER_BASE}-A INPUT -m frobnicate --frob 1 -j DROP\nCOMMIT\n`, ext('192.168.0.2'));
    expect(r.paths[0].final.verdict).toBe('ACCEPT');
    expect(r.paths[0].assumptions).toEqual([
      { ruleId: 0, location: 'filter:INPUT:1', what: expect.stringMatching(/frobnicate/) },
    ]);
  });

  it('a DNAT to 127.0.0.1 from outside is delivered only with route_localnet', () => {
    const dump = `*nat\n${NAT_BASE}-A PREROUTING -p tcp -j DNAT --to-destination 127.0.0.1:8080\nCOMMIT\n`;
    expect(trace(dump, ext('192.168.0.2')).paths[0].final.disposition).toBe('local');
    expect(trace(dump, ext('192.168.0.2'), { routeLocalnet: false }).paths[0].final).toMatchObject({
      verdict: 'ACCEPT',
      disposition: 'dropped',
    });
  });

  it('REDIRECT goes to the incoming interface address in PREROUTING and to 127.0.0.1 in OUTPUT', () => {
    const dump = `*nat\n${NAT_BASE}-A PREROUTING -p tcp -j REDIRECT --to-ports 15001\n-A OUTPUT -p tcp -d 10.1.1.1/32 -j REDIRECT --to-ports 15001\nCOMMIT\n`;
    expect(trace(dump, ext('10.9.9.9')).paths[0].final).toMatchObject({ dst: '192.168.0.2', dport: 15001 });
    const local = trace(dump, {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.2',
      sport: 1,
      dst: '10.1.1.1',
      dport: 80,
    });
    expect(local.paths[0].final).toMatchObject({ dst: '127.0.0.1', dport: 15001, disposition: 'local' });
  });
});

describe('SET: the walk changes its own copy of the sets, and later -m set see it', () => {
  const RAW = ':PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n';
  const sets = {
    'CW-SEEN': { type: 'hash:ip', entries: [] },
    'CW-PORT': { type: 'hash:ip,port', entries: [] },
    'CW-GONE': { type: 'hash:ip', entries: ['192.168.0.1'] },
    'CW-NET': { type: 'hash:net', entries: [] },
    'CW-MAP': { type: 'hash:ip', entries: ['192.168.0.1 skbmark 0x42/0xff'] },
  };
  const dump = (raw: string, filter: string) => `*raw\n${RAW}${raw}COMMIT\n*filter\n${FILTER_BASE}${filter}COMMIT\n`;

  it('an element added in raw PREROUTING is in the set when filter INPUT tests it', () => {
    const r = trace(
      dump('-A PREROUTING -j SET --add-set CW-SEEN src\n', '-A INPUT -m set --match-set CW-SEEN src -j DROP\n'),
      ext('192.168.0.2'),
      { ipsets: sets },
    );
    expect(brief(r.paths[0].events)).toEqual([
      'raw:PREROUTING:1:CONTINUE',
      'raw:PREROUTING:policy:ACCEPT',
      'filter:INPUT:1:DROP',
    ]);
    expect(r.paths[0].events[0].notes).toEqual(['192.168.0.1 added to CW-SEEN']);
    expect(r.paths[0].assumptions).toEqual([]);
  });

  it('two flags make a two-dimension element; fewer flags than dimensions add nothing, as ip_set_add refuses', () => {
    const filter = '-A INPUT -m set --match-set CW-PORT src,dst -j DROP\n';
    const both = trace(
      dump('-A PREROUTING -j SET --add-set CW-PORT src,dst --exist --timeout 600\n', filter),
      ext('192.168.0.2', 22),
      {
        ipsets: sets,
      },
    );
    expect(both.paths[0].events[0].notes).toEqual(['192.168.0.1,tcp:22 added to CW-PORT']);
    expect(both.paths[0].final.verdict).toBe('DROP');
    const one = trace(dump('-A PREROUTING -j SET --add-set CW-PORT src\n', filter), ext('192.168.0.2', 22), {
      ipsets: sets,
    });
    expect(one.paths[0].final.verdict).toBe('ACCEPT');
    expect(one.paths[0].events[0].notes?.[0]).toMatch(/2 dimensions but the rule gives 1 flag/);
  });

  it('a deleted element no longer matches', () => {
    const r = trace(
      dump('-A PREROUTING -j SET --del-set CW-GONE src\n', '-A INPUT -m set --match-set CW-GONE src -j DROP\n'),
      ext('192.168.0.2'),
      { ipsets: sets },
    );
    expect(r.paths[0].final.verdict).toBe('ACCEPT');
    expect(r.paths[0].events[0].notes).toEqual(['192.168.0.1 deleted from CW-GONE']);
  });

  it('a set whose element takes its prefix from the set, or a set not supplied, is left alone and the step says so', () => {
    const r = trace(
      dump(
        '-A PREROUTING -j SET --add-set CW-NET src\n-A PREROUTING -j SET --add-set CW-NOPE src\n',
        '-A INPUT -m set --match-set CW-NET src -j DROP\n',
      ),
      ext('192.168.0.2'),
      { ipsets: sets },
    );
    expect(r.paths[0].final.verdict).toBe('ACCEPT');
    expect(r.paths[0].assumptions.map((a) => a.what)).toEqual([
      'SET cannot add to a hash:net set in the walk: later -m set CW-NET see it as given',
      'ipset CW-NOPE was not supplied: the add is not modelled',
    ]);
    expect(r.paths[0].events[0].assumed).toHaveLength(1);
  });

  it('HMARK leaves the mark alone and says the walk did not compute its hash', () => {
    const r = trace(
      `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j HMARK --hmark-tuple src,dst --hmark-mod 10 --hmark-rnd 0x1\nCOMMIT\n`,
      ext('192.168.0.2'),
    );
    const [event] = r.paths[0].events;
    expect(event.verdict).toBe('CONTINUE');
    expect(event.after.mark).toBe(event.before.mark);
    expect(r.paths[0].assumptions.map((a) => a.what)).toEqual([
      'HMARK sets the packet mark to a hash the walk does not compute: the mark is left as it was',
    ]);
    expect(event.assumed).toHaveLength(1);
  });

  it('--map-set --map-mark gives the packet the entry’s skbmark', () => {
    const r = trace(
      `*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x100/0xffffffff\n-A PREROUTING -j SET --map-set CW-MAP src --map-mark\n-A PREROUTING -m mark --mark 0x142 -j DROP\nCOMMIT\n`,
      ext('192.168.0.2'),
      { ipsets: sets },
    );
    expect(r.paths[0].events[1].after.mark).toBe(0x142);
    expect(r.paths[0].final.verdict).toBe('DROP');
  });

  it('paths that fork before a SET do not share its change', () => {
    const r = trace(
      dump(
        '-A PREROUTING -m statistic --mode random --probability 0.50000000000 -j SET --add-set CW-SEEN src\n',
        '-A INPUT -m set --match-set CW-SEEN src -j DROP\n',
      ),
      ext('192.168.0.2'),
      { ipsets: sets },
    );
    expect(r.paths.map((p) => [p.probability, p.final.verdict])).toEqual([
      [0.5, 'DROP'],
      [0.5, 'ACCEPT'],
    ]);
    expect(sets['CW-SEEN'].entries).toEqual([]);
  });
});

describe('NETMAP maps one network onto another, keeping the host bits, and ends the nat table', () => {
  const nat = (rules: string) => `*nat\n${NAT_BASE}${rules}COMMIT\n`;

  it('PREROUTING maps the destination; the rule after it does not run; routing follows the new address', () => {
    const r = trace(
      nat(
        '-A PREROUTING -d 198.18.0.0/24 -j NETMAP --to 10.244.1.0/24\n-A PREROUTING -j DNAT --to-destination 10.9.9.9\n',
      ),
      ext('198.18.0.7'),
    );
    expect(brief(r.paths[0].events)).toEqual(['nat:PREROUTING:1:ACCEPT', 'nat:POSTROUTING:policy:ACCEPT']);
    expect(r.paths[0].events[0].notes).toEqual([
      'NETMAP: destination 198.18.0.7 becomes 10.244.1.7 (onto 10.244.1.0/24)',
    ]);
    expect(r.paths[0].final).toMatchObject({ dst: '10.244.1.7', dport: 80, disposition: 'out', masqueraded: false });
    expect(r.paths[0].assumptions).toEqual([]);
  });

  it('POSTROUTING and INPUT map the source', () => {
    const post = trace(nat('-A POSTROUTING -s 10.244.0.0/24 -o eth0 -j NETMAP --to 100.64.0.0/24\n'), {
      ...ext('8.8.8.8', 53),
      origin: 'pod',
      proto: 'udp',
      src: '10.244.0.5',
    });
    expect(post.paths[0].final).toMatchObject({
      src: '100.64.0.5',
      sport: 40000,
      masqueraded: true,
      sourceNat: 'NETMAP',
    });
    const input = trace(nat('-A INPUT -s 192.168.0.0/24 -j NETMAP --to 172.31.0.0/16\n'), ext('192.168.0.2', 22));
    expect(brief(input.paths[0].events)).toEqual(['nat:PREROUTING:policy:ACCEPT', 'nat:INPUT:1:ACCEPT']);
    expect(input.paths[0].final).toMatchObject({ src: '172.31.0.1', disposition: 'local' });
  });

  it('OUTPUT maps the destination and the packet is routed again', () => {
    const r = trace(nat('-A OUTPUT -d 198.18.1.0/24 -j NETMAP --to 10.244.0.0/24\n'), {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.2',
      sport: 40000,
      dst: '198.18.1.9',
      dport: 80,
    });
    expect(r.paths[0].final).toMatchObject({ dst: '10.244.0.9', iface: 'cni0' });
  });

  it('a mask with holes and an IPv6 prefix map bit for bit', () => {
    const holes = trace(nat('-A PREROUTING -j NETMAP --to 10.0.0.0/255.0.255.0\n'), ext('198.18.5.7'));
    expect(holes.paths[0].final.dst).toBe('10.18.0.7');
    const v6 = trace(
      '# Generated by ip6tables-save v1.8.9\n*nat\n' +
        NAT_BASE +
        '-A PREROUTING -d fd00:99::/64 -j NETMAP --to fd00:10:244:1::/64\nCOMMIT\n',
      { ...ext('fd00:99::7'), src: 'fd00::1' },
      { nodeIPs: ['fd00::2/64'], podCIDR: 'fd00:10:244::/64' },
    );
    expect(v6.paths[0].final.dst).toBe('fd00:10:244:1::7');
  });
});
