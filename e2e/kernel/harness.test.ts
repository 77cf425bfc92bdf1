// The harness's own parsing and comparison, on text the kernel printed here.
// Pure: runs without root, so a broken parser cannot hide behind a skipped suite.

import { describe, expect, it } from 'vitest';
import type { TracePath } from '../../src/model';
import { parseIptablesSave } from '../../src/parse';
import { comparePath, compareTrace } from './compare';
import { isLegOf, parseConntrack } from './ct-events';
import { generatedDumps } from './generated';
import { handlesFromNftJson } from './handles';
import type { KernelTrace } from './kernel-node';
import { parseMonitorLine, parseNftTraceLine } from './trace-lines';

describe('xtables-monitor lines', () => {
  it('reads a rule event with a jump, its handle and rule text', () => {
    const l = parseMonitorLine(
      ' TRACE: 2 c559eb78 nat:PREROUTING:rule:0x6:JUMP:X  -4 -t nat -A PREROUTING -p tcp -j X',
    );
    expect(l).toMatchObject({
      type: 'trace',
      id: 'c559eb78',
      table: 'nat',
      chain: 'PREROUTING',
      kind: 'rule',
      handle: 6,
    });
    expect(l?.type === 'trace' && l.verdict).toBe('JUMP:X');
    expect(l?.type === 'trace' && l.ruleText).toBe('-4 -t nat -A PREROUTING -p tcp -j X');
  });

  it('names the raw NFT_RETURN code that xtables-monitor 1.8.9 prints for -j RETURN', () => {
    const l = parseMonitorLine(
      ' TRACE: 2 9dd82928 nat:DOCKER:rule:0xb:0xfffffffb  -4 -t nat -A DOCKER -i docker0 -j RETURN',
    );
    expect(l).toMatchObject({ kind: 'rule', handle: 11, verdict: 'RETURN', rawVerdict: '0xfffffffb' });
  });

  it('reads a policy event with its trailing space', () => {
    expect(parseMonitorLine(' TRACE: 2 c559eb78 nat:POSTROUTING:policy:ACCEPT ')).toMatchObject({
      kind: 'policy',
      handle: null,
      verdict: 'ACCEPT',
      ruleText: '',
    });
  });

  it('reads a PACKET line into fields and flags', () => {
    const l = parseMonitorLine(
      'PACKET: 2 e2e0a4a4 IN=lo LOOPBACK SRC=192.168.0.2 DST=127.0.0.1 LEN=60 TOS=0x0 TTL=64 ID=1320 DF SPORT=41002 DPORT=8080 SYN MARK=0x10 ',
    );
    expect(l?.type).toBe('packet');
    if (l?.type !== 'packet') return;
    expect(l.fields).toMatchObject({
      IN: 'lo',
      SRC: '192.168.0.2',
      DST: '127.0.0.1',
      SPORT: '41002',
      DPORT: '8080',
      MARK: '0x10',
    });
    expect(l.flags).toEqual(['LOOPBACK', 'DF', 'SYN']);
  });

  it('takes a PACKET line without MARK= as mark 0', () => {
    const l = parseMonitorLine('PACKET: 2 e2e0a4a4 OUT=lo SRC=192.168.0.2 DST=192.168.0.2 LEN=60 SPORT=1 DPORT=2 SYN ');
    expect(l?.type === 'packet' && l.fields.MARK).toBe('0x0');
  });

  it('reads nft monitor trace lines (IPv6) into the same events', () => {
    const pkt = parseNftTraceLine(
      'trace id a203d1be ip6 nat PREROUTING packet: iif "cni0" ether saddr 5a:4e:7f:c0:08:f5 ip6 saddr fd00:10:244::5 ip6 daddr fd00:96::1 ip6 hoplimit 64 tcp sport 30001 tcp dport 443 tcp flags == syn',
    );
    expect(pkt).toMatchObject({ type: 'packet', family: 10, id: 'a203d1be' });
    expect(pkt?.type === 'packet' && pkt.fields).toEqual({
      IN: 'cni0',
      SRC: 'fd00:10:244::5',
      DST: 'fd00:96::1',
      SPORT: '30001',
      DPORT: '443',
    });
    expect(
      parseNftTraceLine(
        'trace id a203d1be ip6 nat KUBE-SERVICES rule meta l4proto tcp ip6 daddr fd00:96::1  tcp dport 443 counter packets 0 bytes 0 jump KUBE-SVC-X # handle 99 (verdict jump KUBE-SVC-X)',
      ),
    ).toMatchObject({ kind: 'rule', table: 'nat', chain: 'KUBE-SERVICES', handle: 99, verdict: 'JUMP:KUBE-SVC-X' });
    expect(
      parseNftTraceLine(
        'trace id a203d1be ip6 nat KUBE-POSTROUTING rule meta mark & 0x00004000 != 0x00004000 counter packets 0 bytes 0 return # handle 68 (verdict return)',
      ),
    ).toMatchObject({ kind: 'rule', handle: 68, verdict: 'RETURN' });
    expect(parseNftTraceLine('trace id a203d1be ip6 nat POSTROUTING policy accept ')).toMatchObject({
      kind: 'policy',
      verdict: 'ACCEPT',
    });
  });

  it('ignores lines that are not trace output', () => {
    expect(parseMonitorLine('conntrack v1.4.7 (conntrack-tools): 5 flow events have been shown.')).toBeNull();
  });
});

describe('conntrack events', () => {
  it('reads the original and reply tuple of a NEW event', () => {
    const e = parseConntrack(
      '    [NEW] tcp      6 120 SYN_SENT src=172.17.0.2 dst=192.168.0.1 sport=30001 dport=80 [UNREPLIED] src=192.168.0.1 dst=192.168.0.2 sport=80 dport=30001',
    );
    expect(e).toEqual({
      proto: 'tcp',
      src: '172.17.0.2',
      dst: '192.168.0.1',
      sport: 30001,
      dport: 80,
      replySrc: '192.168.0.1',
      replyDst: '192.168.0.2',
      replySport: 80,
      replyDport: 30001,
    });
  });

  it('finds the lo leg of a packet whose source port MASQUERADE --random-fully changed, by the reply tuple', () => {
    // What the kernel printed for 192.168.0.2:20000 → 10.96.0.10:53 (kube-ipvs, MASQUERADE --random-fully towards lo).
    const entry = parseConntrack(
      '    [NEW] tcp      6 120 SYN_SENT src=192.168.0.2 dst=10.96.0.10 sport=20000 dport=53 [UNREPLIED] src=10.96.0.10 dst=192.168.0.2 sport=53 dport=44468',
    );
    const packetLine = (fields: string) =>
      parseMonitorLine(` PACKET: 2 6691d320 IN=lo OUT= ${fields} LEN=60 TOS=0x0 TTL=64 ID=1 DF SYN`);
    const first = packetLine('SRC=192.168.0.2 DST=10.96.0.10 SPORT=20000 DPORT=53');
    const lo = packetLine('SRC=192.168.0.2 DST=10.96.0.10 SPORT=44468 DPORT=53');
    const other = packetLine('SRC=192.168.0.2 DST=10.96.0.10 SPORT=44468 DPORT=80');
    const asPacket = (l: typeof first) => (l?.type === 'packet' ? l : undefined);
    expect(entry).not.toBeNull();
    if (!entry) return;
    expect(isLegOf(asPacket(first), { sport: 20000 }, undefined)).toBe(true);
    expect(isLegOf(asPacket(lo), { sport: 20000 }, undefined)).toBe(false);
    expect(isLegOf(asPacket(lo), { sport: 20000 }, entry)).toBe(true);
    expect(isLegOf(asPacket(other), { sport: 20000 }, entry)).toBe(false);
  });

  it('skips protocols without ports', () => {
    expect(
      parseConntrack(
        '    [NEW] unknown  2 600 src=172.17.0.1 dst=224.0.0.22 [UNREPLIED] src=224.0.0.22 dst=172.17.0.1',
      ),
    ).toBeNull();
  });
});

describe('nft handles', () => {
  it('numbers rules per chain in listing order', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: {} },
        { chain: { table: 'nat', name: 'PREROUTING' } },
        { rule: { table: 'nat', chain: 'PREROUTING', handle: 6 } },
        { rule: { table: 'nat', chain: 'X', handle: 7 } },
        { rule: { table: 'nat', chain: 'PREROUTING', handle: 12 } },
        { rule: { table: 'nat', chain: 'X', handle: 9 } },
      ],
    });
    const map = handlesFromNftJson('nat', json);
    expect(map.get(6)).toEqual({ chain: 'PREROUTING', position: 1 });
    expect(map.get(12)).toEqual({ chain: 'PREROUTING', position: 2 });
    expect(map.get(9)).toEqual({ chain: 'X', position: 2 });
  });
});

const header = { src: '', sport: 0, dst: '', dport: 0, mark: 0, ctmark: 0 };

function simPath(
  events: Array<[string, string, 'rule' | 'return' | 'policy', number | null, string, boolean?]>,
  final: Partial<TracePath['final']> = {},
): TracePath {
  return {
    probability: 1,
    events: events.map(([table, chain, kind, rule, verdict, implicit], i) => ({
      table: table as 'nat',
      chain,
      kind,
      rule,
      verdict,
      hook: 'PREROUTING',
      leg: 0,
      ruleId: i,
      implicit,
      before: header,
      after: header,
    })),
    routes: [],
    choices: [],
    assumptions: [],
    final: {
      verdict: 'ACCEPT',
      src: '192.168.0.1',
      sport: 20000,
      dst: '10.244.1.5',
      dport: 8080,
      masqueraded: false,
      disposition: 'out',
      iface: 'eth0',
      mark: 0,
      ...final,
    },
  };
}

const kernel: KernelTrace = {
  packet: { origin: 'external', proto: 'tcp', src: '192.168.0.1', sport: 20000, dst: '192.168.0.2', dport: 80 },
  events: [
    { leg: 0, table: 'nat', chain: 'PREROUTING', kind: 'rule', rule: 1, verdict: 'JUMP:X', ruleText: '' },
    { leg: 0, table: 'nat', chain: 'X', kind: 'rule', rule: 1, verdict: 'ACCEPT', ruleText: '' },
    { leg: 0, table: 'filter', chain: 'FORWARD', kind: 'policy', rule: null, verdict: 'ACCEPT', ruleText: '' },
  ],
  legs: 1,
  final: { verdict: 'ACCEPT', src: '192.168.0.1', sport: 20000, dst: '10.244.1.5', dport: 8080, masqueraded: false },
  confirmed: true,
  sendError: null,
  lines: [],
  problems: [],
};

describe('kernel vs simulator', () => {
  const good = simPath([
    ['nat', 'PREROUTING', 'rule', 1, 'JUMP:X'],
    ['nat', 'X', 'rule', 1, 'ACCEPT'],
    ['filter', 'FORWARD', 'policy', null, 'ACCEPT'],
  ]);

  it('agrees with an equal path', () => {
    expect(comparePath(kernel, good)).toEqual({ eventsEqual: true, firstDiff: -1, finalDiffs: [], headerDiffs: [] });
  });

  it('ignores implicit returns, which the kernel does not print', () => {
    const withImplicit = simPath([
      ['nat', 'PREROUTING', 'rule', 1, 'JUMP:X'],
      ['nat', 'X', 'rule', 1, 'ACCEPT'],
      ['nat', 'X', 'return', null, 'RETURN', true],
      ['filter', 'FORWARD', 'policy', null, 'ACCEPT'],
    ]);
    expect(comparePath(kernel, withImplicit).eventsEqual).toBe(true);
  });

  it('rejects a path whose rule position differs', () => {
    const off = simPath([
      ['nat', 'PREROUTING', 'rule', 2, 'JUMP:X'],
      ['nat', 'X', 'rule', 1, 'ACCEPT'],
      ['filter', 'FORWARD', 'policy', null, 'ACCEPT'],
    ]);
    expect(comparePath(kernel, off)).toMatchObject({ eventsEqual: false, firstDiff: 0 });
  });

  it('rejects a path with a missing event', () => {
    const short = simPath([
      ['nat', 'PREROUTING', 'rule', 1, 'JUMP:X'],
      ['nat', 'X', 'rule', 1, 'ACCEPT'],
    ]);
    expect(comparePath(kernel, short)).toMatchObject({ eventsEqual: false, firstDiff: 2 });
  });

  it('rejects a path whose final destination or source differs', () => {
    const wrongDst = simPath(
      [
        ['nat', 'PREROUTING', 'rule', 1, 'JUMP:X'],
        ['nat', 'X', 'rule', 1, 'ACCEPT'],
        ['filter', 'FORWARD', 'policy', null, 'ACCEPT'],
      ],
      { dst: '10.244.1.6', src: '192.168.0.2', masqueraded: true },
    );
    const c = comparePath(kernel, wrongDst);
    expect(c.eventsEqual).toBe(true);
    expect(c.finalDiffs).toEqual([
      'dst: kernel 10.244.1.5:8080, sim 10.244.1.6:8080',
      'src: kernel 192.168.0.1, sim 192.168.0.2',
      'masqueraded: kernel false, sim true',
    ]);
  });

  it('checks the header the kernel showed at a base chain: addresses before NAT, mark after the rule', () => {
    const seen = { src: '192.168.0.1', sport: 20000, dst: '192.168.0.2', dport: 80, mark: 0x4000 };
    const k: KernelTrace = { ...kernel, events: kernel.events.map((e, i) => (i === 0 ? { ...e, seen } : e)) };
    const path = simPath([
      ['nat', 'PREROUTING', 'rule', 1, 'JUMP:X'],
      ['nat', 'X', 'rule', 1, 'ACCEPT'],
      ['filter', 'FORWARD', 'policy', null, 'ACCEPT'],
    ]);
    path.events[0].before = { ...header, src: '192.168.0.1', sport: 20000, dst: '192.168.0.2', dport: 80 };
    path.events[0].after = { ...path.events[0].before, mark: 0x4000 };
    expect(comparePath(k, path).headerDiffs).toEqual([]);
    path.events[0].after = { ...path.events[0].before, mark: 0 };
    expect(comparePath(k, path).headerDiffs).toEqual(['0:nat:PREROUTING:rule:1:JUMP:X: kernel mark 0x4000, sim 0x0']);
    path.events[0].before = { ...path.events[0].before, dst: '10.244.1.5' };
    expect(comparePath(k, path).headerDiffs[0]).toContain(
      'kernel saw 192.168.0.1 → 192.168.0.2:80, sim 192.168.0.1 → 10.244.1.5:80',
    );
  });

  describe('a source port the kernel picks at random (MASQUERADE --random-fully)', () => {
    // 192.168.0.2:20000 → 10.96.0.10:53, MASQUERADE towards lo: the address stays, the port does not.
    const events = [
      ['nat', 'POSTROUTING', 'rule', 1, 'ACCEPT'],
      ['filter', 'INPUT', 'policy', null, 'ACCEPT'],
    ] as const;
    const k: KernelTrace = {
      ...kernel,
      events: events.map(([table, chain, kind, rule, verdict], i) => ({
        leg: i,
        table,
        chain,
        kind,
        rule,
        verdict,
        ruleText: '',
        seen: { src: '192.168.0.2', sport: i === 0 ? 20000 : 44468, dst: '10.96.0.10', dport: 53 },
      })),
      final: { verdict: 'ACCEPT', src: '192.168.0.2', sport: 44468, dst: '10.96.0.10', dport: 53, masqueraded: true },
    };
    const path = (final: Partial<TracePath['final']>) => {
      const p = simPath(
        events.map(([table, chain, kind, rule, verdict]) => [table, chain, kind, rule, verdict]),
        { src: '192.168.0.2', sport: 20000, dst: '10.96.0.10', dport: 53, masqueraded: true, ...final },
      );
      p.events.forEach((e, i) => {
        e.leg = i;
        e.before = { ...header, src: '192.168.0.2', sport: 20000, dst: '10.96.0.10', dport: 53 };
      });
      return p;
    };

    it('agrees when the kernel port lies in the range the simulator gives, on the final and the lo leg', () => {
      const c = comparePath(k, path({ sportRandom: { lo: 1024, hi: 65535 } }));
      expect([c.finalDiffs, c.headerDiffs]).toEqual([[], []]);
    });

    it('rejects a simulator that kept the port (as it did before it knew --random-fully)', () => {
      const c = comparePath(k, path({ masqueraded: false }));
      expect(c.finalDiffs).toEqual(['sport: kernel 44468, sim 20000', 'masqueraded: kernel true, sim false']);
      expect(c.headerDiffs).toEqual(['1:filter:INPUT:policy:ACCEPT: kernel saw sport 44468, sim 20000']);
    });

    it('rejects a kernel port outside the range, and a kept port the simulator calls random', () => {
      expect(comparePath(k, path({ sportRandom: { lo: 1, hi: 511 } })).finalDiffs).toEqual([
        'sport: kernel 44468, sim a random port in 1-511',
      ]);
      const kept: KernelTrace = { ...k, final: { ...k.final, sport: 20000, masqueraded: false } };
      expect(comparePath(kept, path({ sportRandom: { lo: 1024, hi: 65535 } })).finalDiffs).toEqual([
        'masqueraded: kernel false, sim true',
      ]);
    });
  });

  it('finds the matching path among several', () => {
    const other = simPath([['nat', 'PREROUTING', 'policy', null, 'ACCEPT']]);
    const r = compareTrace(kernel, { paths: [other, good], notes: [] });
    expect(r.matched).toBe(1);
  });
});

describe('generated dumps (generated.ts)', () => {
  const dumps = generatedDumps();

  it('cover every layout and the ip6tables half, with packets to every kind of Service address', () => {
    expect(dumps.map((d) => d.name)).toEqual([
      'generated-current',
      'generated-current-v6',
      'generated-1.24',
      'generated-legacy',
    ]);
    const names = dumps.flatMap((d) => d.cases.map((c) => c.name));
    expect(names.length).toBeGreaterThanOrEqual(60);
    for (const what of ['ClusterIP', 'NodePort', 'localhost NodePort', 'LoadBalancer IP', 'external IP', 'affinity'])
      expect(names.some((n) => n.includes(what))).toBe(true);
  });

  it.each(generatedDumps().map((d) => [d.name, d] as const))('%s parses without diagnostics', (_name, dump) => {
    expect(parseIptablesSave(dump.text ?? '').diagnostics).toEqual([]);
    // nfacct counters came with 1.29; the older layouts name none.
    expect(dump.text?.includes('-m nfacct')).toBe(dump.name.startsWith('generated-current'));
  });
});
