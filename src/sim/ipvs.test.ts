import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeContext, Packet, TracePath, TraceResult } from '../model';
import { parseNodeDump } from '../parse';
import { nodeContextFromDump, simulate } from '.';

// A kube-proxy ipvs-mode node (fixtures/ipvs/node.dump: iptables-save + ipset save + ipvsadm-save -n,
// rules as pkg/proxy/ipvs/proxier.go writeIptablesRules writes them): node 192.168.0.2, pods here in
// 10.244.0.0/24 behind cni0, ClusterIP 10.96.0.10:80 → 10.244.0.5:8080 (here) and 10.244.1.7:8080
// (another node), NodePort 30080, LoadBalancer 203.0.113.10 with source range 198.51.100.0/24,
// ClusterIP 10.96.0.20:80 with no endpoints.

const dump = parseNodeDump(readFileSync(new URL('../../fixtures/ipvs/node.dump', import.meta.url), 'utf8'));

function trace(
  packet: Partial<Packet> & Pick<Packet, 'origin' | 'src' | 'dst' | 'dport'>,
  ctx?: Partial<NodeContext>,
): TraceResult {
  const result = simulate(dump.ruleset, nodeContextFromDump(dump, ctx), { proto: 'tcp', sport: 40000, ...packet });
  expect(result.paths.reduce((n, p) => n + p.probability, 0)).toBeCloseTo(1, 12);
  return result;
}

/** Kernel events and IPVS steps of a path, in order: `hook table:chain:rule:verdict` / `hook IPVS action verdict`. */
function steps(p: TracePath): string[] {
  const out: string[] = [];
  const ipvs = p.ipvs ?? [];
  p.events.forEach((e, i) => {
    for (const x of ipvs) if (x.at === i) out.push(`${x.hook} IPVS ${x.action} ${x.verdict}`);
    if (!e.implicit) out.push(`${e.hook} ${e.table}:${e.chain}:${e.kind === 'rule' ? e.rule : e.kind}:${e.verdict}`);
  });
  for (const x of ipvs) if (x.at === p.events.length) out.push(`${x.hook} IPVS ${x.action} ${x.verdict}`);
  return out;
}

const byServer = (r: TraceResult) =>
  r.paths.map((p) => [p.probability, `${p.final.dst}:${p.final.dport}`, p.final.iface]);

describe('IPVS in the walk', () => {
  it('the paste loads in ipvs mode and the node IP is read from the NodePort service', () => {
    expect(dump.diagnostics).toEqual([]);
    expect(dump.mode).toBe('ipvs');
    expect(nodeContextFromDump(dump).nodeIPs).toEqual(['192.168.0.2']);
  });

  it('ClusterIP from a pod: scheduled after filter INPUT, before nat INPUT; sent on through OUTPUT and POSTROUTING, never FORWARD', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.9', dst: '10.96.0.10', dport: 80 });
    expect(byServer(r)).toEqual([
      [0.5, '10.244.0.5:8080', 'cni0'],
      [0.5, '10.244.1.7:8080', 'eth0'],
    ]);
    const s = steps(r.paths[0]);
    expect(s.slice(s.indexOf('INPUT filter:INPUT:policy:ACCEPT'))).toEqual([
      'INPUT filter:INPUT:policy:ACCEPT',
      'INPUT IPVS schedule ACCEPT',
      'INPUT IPVS forward STOLEN',
      'OUTPUT filter:OUTPUT:1:JUMP:KUBE-IPVS-OUT-FILTER',
      'OUTPUT filter:OUTPUT:policy:ACCEPT',
      'POSTROUTING nat:POSTROUTING:1:JUMP:KUBE-POSTROUTING',
      'POSTROUTING nat:KUBE-POSTROUTING:2:RETURN',
      'POSTROUTING nat:POSTROUTING:policy:ACCEPT',
    ]);
    expect(s.some((x) => x.startsWith('FORWARD'))).toBe(false);
    expect(r.paths[0].final).toMatchObject({ verdict: 'ACCEPT', src: '10.244.0.9', masqueraded: false });
    const [sched, fwd] = r.paths[0].ipvs ?? [];
    expect(sched).toMatchObject({ service: 'TCP  10.96.0.10:80', scheduler: 'rr', candidates: 2 });
    expect(sched.notes?.[0]).toBe('IPVS TCP  10.96.0.10:80 rr → 2 real servers');
    expect(fwd).toMatchObject({ realServer: '10.244.0.5:8080', forward: 'masq', fn: 'ip_vs_in_hook' });
    expect(fwd.after).toMatchObject({ dst: '10.244.0.5', dport: 8080 });
    expect(r.paths.map((p) => p.choices)).toEqual([[0], [1]]);
  });

  it('the set lookups are visible on the rules that matched', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.9', dst: '10.96.0.10', dport: 80 });
    const accept = r.paths[0].events.find((e) => e.chain === 'KUBE-SERVICES' && e.verdict === 'ACCEPT');
    expect(accept?.notes).toEqual(['10.96.0.10,tcp:80 ∈ KUBE-CLUSTER-IP']);
  });

  it('from a process on the node: IPVS at LOCAL_OUT after nat OUTPUT; filter OUTPUT runs once, after the DNAT; masqueraded', () => {
    const r = trace({ origin: 'local', src: '10.96.0.10', dst: '10.96.0.10', dport: 80 });
    const s = steps(r.paths[1]);
    const ipvsAt = s.indexOf('OUTPUT IPVS schedule ACCEPT');
    expect(s[ipvsAt - 1]).toBe('OUTPUT nat:KUBE-SERVICES:5:ACCEPT');
    expect(s.filter((x) => x.startsWith('OUTPUT filter:OUTPUT:1'))).toHaveLength(1);
    expect(s.indexOf('OUTPUT filter:OUTPUT:1:JUMP:KUBE-IPVS-OUT-FILTER')).toBeGreaterThan(ipvsAt);
    expect(r.paths[1].final).toMatchObject({ dst: '10.244.1.7', src: '192.168.0.2', iface: 'eth0', masqueraded: true });
    expect(r.paths[0].final).toMatchObject({ dst: '10.244.0.5', src: '10.244.0.1', iface: 'cni0', masqueraded: true });
  });

  it('NodePort from outside: marked in PREROUTING (bitmap:port), masqueraded on the way to the pod', () => {
    const r = trace({ origin: 'external', src: '198.51.100.7', dst: '192.168.0.2', dport: 30080 });
    expect(byServer(r)).toEqual([
      [0.5, '10.244.0.5:8080', 'cni0'],
      [0.5, '10.244.1.7:8080', 'eth0'],
    ]);
    const mark = r.paths[0].events.find((e) => e.chain === 'KUBE-NODE-PORT' && e.table === 'nat' && e.kind === 'rule');
    expect(mark?.notes).toEqual(['30080 ∈ KUBE-NODE-PORT-TCP']);
    expect(r.paths.map((p) => [p.final.src, p.final.masqueraded])).toEqual([
      ['10.244.0.1', true],
      ['192.168.0.2', true],
    ]);
  });

  it('LoadBalancer with source ranges: a client inside the range is scheduled, one outside is dropped in filter INPUT', () => {
    const inside = trace({ origin: 'external', src: '198.51.100.7', dst: '203.0.113.10', dport: 80 });
    expect(byServer(inside)).toEqual([[1, '10.244.0.5:8080', 'cni0']]);
    const ret = inside.paths[0].events.find((e) => e.chain === 'KUBE-SOURCE-RANGES-FIREWALL');
    expect(ret).toMatchObject({
      verdict: 'RETURN',
      notes: ['203.0.113.10,tcp:80,198.51.100.7 ∈ KUBE-LOAD-BALANCER-SOURCE-CIDR'],
    });
    const outside = trace({ origin: 'external', src: '192.0.2.1', dst: '203.0.113.10', dport: 80 });
    expect(outside.paths).toHaveLength(1);
    expect(steps(outside.paths[0]).at(-1)).toBe('INPUT filter:KUBE-SOURCE-RANGES-FIREWALL:2:DROP');
    expect(outside.paths[0].final).toMatchObject({ verdict: 'DROP' });
    expect(outside.paths[0].ipvs).toEqual([]);
  });

  it('hairpin: a pod reaching itself through its Service is masqueraded by KUBE-LOOP-BACK; the other endpoint is not', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.5', dst: '10.96.0.10', dport: 80 });
    expect(r.paths.map((p) => [p.final.dst, p.final.src, p.final.masqueraded])).toEqual([
      ['10.244.0.5', '10.244.0.1', true],
      ['10.244.1.7', '10.244.0.5', false],
    ]);
    const loop = r.paths[0].events.find((e) => e.chain === 'KUBE-POSTROUTING' && e.rule === 1);
    expect(loop).toMatchObject({
      verdict: 'ACCEPT',
      notes: ['10.244.0.5,tcp:8080,10.244.0.5 ∈ KUBE-LOOP-BACK', expect.stringContaining('MASQUERADE')],
    });
  });

  it('a service with no real servers: ICMP port unreachable and DROP (ip_vs_leave)', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.9', dst: '10.96.0.20', dport: 80 });
    expect(r.paths).toHaveLength(1);
    expect(r.paths[0].final).toMatchObject({ verdict: 'REJECT', disposition: 'rejected', dst: '10.96.0.20' });
    expect(r.paths[0].ipvs).toMatchObject([{ action: 'no-destination', verdict: 'DROP', candidates: 0 }]);
  });

  it('a port with no virtual service on a service address is rejected by KUBE-IPVS-FILTER for a NEW connection', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.9', dst: '10.96.0.10', dport: 81 });
    expect(steps(r.paths[0]).at(-1)).toBe('INPUT filter:KUBE-IPVS-FILTER:6:DROP');
    expect(r.paths[0].final.verdict).toBe('REJECT');
  });

  it('ESTABLISHED-only rules do not match the first packet: KUBE-FORWARD’s conntrack rule is not on any path', () => {
    const r = trace({ origin: 'pod', src: '10.244.0.9', dst: '10.244.1.7', dport: 8080 });
    expect(steps(r.paths[0])).toContain('FORWARD filter:FORWARD:policy:ACCEPT');
    expect(r.paths[0].events.some((e) => e.chain === 'KUBE-FORWARD' && e.kind === 'rule')).toBe(false);
    expect(r.paths[0].ipvs).toEqual([]);
  });

  it('without IPVS state the walk is pure netfilter: no ipvs steps, the ClusterIP is not local', () => {
    const r = simulate(dump.ruleset, nodeContextFromDump({ ipsets: dump.ipsets, ipvs: null }), {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.9',
      sport: 40000,
      dst: '10.96.0.10',
      dport: 80,
    });
    expect(r.paths).toHaveLength(1);
    expect(r.paths[0].ipvs).toBeUndefined();
    expect(r.paths[0].routes[0]).toMatchObject({ decision: 'forward' });
  });
});

describe('IPVS services beyond ClusterIP rr', () => {
  // No filter rules: what IPVS itself does.
  const base = `*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n`;
  const walk = (ipvsadm: string, packet: Partial<Packet> & Pick<Packet, 'src' | 'dst' | 'dport'>) => {
    const d = parseNodeDump(base + ipvsadm);
    expect(d.diagnostics).toEqual([]);
    const r = simulate(d.ruleset, nodeContextFromDump(d), { origin: 'pod', proto: 'tcp', sport: 40000, ...packet });
    expect(r.paths.reduce((n, p) => n + p.probability, 0)).toBeCloseTo(1, 12);
    return r;
  };

  it('sh picks one real server from the source address: a single path, no split', () => {
    const svc =
      '-A -t 10.96.0.30:80 -s sh\n-a -t 10.96.0.30:80 -r 10.0.0.1:80 -m -w 1\n-a -t 10.96.0.30:80 -r 10.0.0.2:80 -m -w 1\n-a -t 10.96.0.30:80 -r 10.0.0.3:80 -m -w 1\n';
    // 10.244.1.5 → bucket 115 (ip_vs_sh_hashkey) → the 115 % 3 = 1st server (0-based).
    const r = walk(svc, { src: '10.244.1.5', dst: '10.96.0.30', dport: 80 });
    expect(r.paths.map((p) => p.final.dst)).toEqual(['10.0.0.2']);
    expect(r.paths[0].ipvs?.[0].notes).toContain('sh: bucket 115 of 256 by source address (ip_vs_sh.c)');
  });

  it('a fwmark service matches the packet mark before any address service', () => {
    const svc =
      '-A -f 7 -s rr\n-a -f 7 -r 10.0.0.7:80 -m -w 1\n-A -t 10.96.0.30:80 -s rr\n-a -t 10.96.0.30:80 -r 10.0.0.1:80 -m -w 1\n';
    expect(walk(svc, { src: '10.244.0.9', dst: '10.96.0.30', dport: 80, mark: 7 }).paths[0].final.dst).toBe('10.0.0.7');
    expect(walk(svc, { src: '10.244.0.9', dst: '10.96.0.30', dport: 80 }).paths[0].final.dst).toBe('10.0.0.1');
  });

  it('persistence is an assumption the step states: a new client is scheduled', () => {
    const svc = '-A -t 10.96.0.30:80 -s rr -p 10800\n-a -t 10.96.0.30:80 -r 10.0.0.1:80 -m -w 1\n';
    const notes = walk(svc, { src: '10.244.0.9', dst: '10.96.0.30', dport: 80 }).paths[0].ipvs?.[0].notes ?? [];
    expect(notes.some((n) => n.startsWith('persistent 10800s (netmask 255.255.255.255)'))).toBe(true);
  });

  it('a local real server (a hostNetwork endpoint): IPVS accepts and the INPUT hook goes on to local delivery', () => {
    const svc = '-A -t 10.96.0.1:443 -s rr\n-a -t 10.96.0.1:443 -r 192.168.0.2:6443 -m -w 1\n';
    const r = walk(svc, { src: '10.244.0.9', dst: '10.96.0.1', dport: 443 });
    expect(r.paths[0].final).toMatchObject({ disposition: 'local', dst: '192.168.0.2', dport: 6443 });
    expect(r.paths[0].ipvs?.map((e) => e.verdict)).toEqual(['ACCEPT', 'ACCEPT']);
    // nat INPUT still runs after IPVS (priority 100 > 99).
    expect(r.paths[0].events.at(-1)).toMatchObject({ table: 'nat', chain: 'INPUT', kind: 'policy' });
  });

  it('a service address with no virtual service on that port: accepted and delivered locally, with a note', () => {
    const svc = '-A -t 10.96.0.30:80 -s rr\n-a -t 10.96.0.30:80 -r 10.0.0.1:80 -m -w 1\n';
    const r = walk(svc, { src: '10.244.0.9', dst: '10.96.0.30', dport: 8080 });
    expect(r.paths[0].final).toMatchObject({ disposition: 'local', dst: '10.96.0.30', iface: 'cni0' });
    expect(r.paths[0].ipvs).toMatchObject([{ action: 'no-service', verdict: 'ACCEPT' }]);
  });

  it('IPv6 services are matched by family and address', () => {
    const text =
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s fd00:10:244::/64 -j RETURN\nCOMMIT\n' +
      '-A -t [fd00::10]:80 -s wrr\n-a -t [fd00::10]:80 -r [fd00:10:244::5]:8080 -m -w 3\n-a -t [fd00::10]:80 -r [fd00:10:244::6]:8080 -m -w 1\n';
    const d = parseNodeDump(text);
    expect(d.ruleset6).not.toBeNull();
    const r = simulate(d.ruleset6 ?? d.ruleset, nodeContextFromDump(d, { podCIDR: 'fd00:10:244::/64' }), {
      origin: 'pod',
      proto: 'tcp',
      src: 'fd00:10:244::9',
      sport: 40000,
      dst: 'fd00::10',
      dport: 80,
    });
    expect(r.paths.map((p) => [p.probability, p.final.dst])).toEqual([
      [0.75, 'fd00:10:244::5'],
      [0.25, 'fd00:10:244::6'],
    ]);
  });
});

describe('-m ipvs (xt_ipvs.c)', () => {
  // kube-proxy: an LB whose source ranges leave out the node's own address drops the node's
  // connections to it after IPVS scheduled them (KUBE-IPVS-OUT-FILTER, notes/ipvs.md §3).
  const text = readFileSync(new URL('../../fixtures/ipvs/node.dump', import.meta.url), 'utf8');
  const withOutFilter = parseNodeDump(
    text.replace(
      '-A KUBE-FORWARD -m comment',
      '-A KUBE-IPVS-OUT-FILTER -s 203.0.113.10/32 -m ipvs --vaddr 203.0.113.10/32 --vport 80 --vproto 6 -j DROP\n-A KUBE-FORWARD -m comment',
    ),
  );
  const ctx = nodeContextFromDump({ ipsets: dump.ipsets, ipvs: dump.ipvs });

  it('reads the match', () => {
    expect(withOutFilter.diagnostics).toEqual([]);
  });

  it('drops a node process’s connection to the LB after IPVS scheduled it, in the reinjected filter OUTPUT', () => {
    const r = simulate(withOutFilter.ruleset, ctx, {
      origin: 'local',
      proto: 'tcp',
      src: '203.0.113.10',
      sport: 40000,
      dst: '203.0.113.10',
      dport: 80,
    });
    expect(r.paths).toHaveLength(1);
    expect(steps(r.paths[0]).slice(-2)).toEqual([
      'OUTPUT filter:OUTPUT:1:JUMP:KUBE-IPVS-OUT-FILTER',
      'OUTPUT filter:KUBE-IPVS-OUT-FILTER:1:DROP',
    ]);
    expect(r.paths[0].ipvs?.map((e) => e.action)).toEqual(['schedule', 'forward']);
  });

  it('does not match a packet IPVS did not send on, nor another virtual port', () => {
    const other = simulate(withOutFilter.ruleset, ctx, {
      origin: 'local',
      proto: 'tcp',
      src: '203.0.113.10',
      sport: 40000,
      dst: '10.244.1.7',
      dport: 80,
    });
    expect(other.paths[0].final.verdict).toBe('ACCEPT');
  });
});

describe('after IPVS sent the packet on', () => {
  it('NOTRACK in raw OUTPUT does nothing to it (it already has a conntrack), so nat POSTROUTING still masquerades', () => {
    const text =
      '*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j NOTRACK\nCOMMIT\n' +
      '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n' +
      '-A -t 10.96.0.30:80 -s rr\n-a -t 10.96.0.30:80 -r 10.244.1.7:8080 -m -w 1\n';
    const d = parseNodeDump(text);
    const r = simulate(d.ruleset, nodeContextFromDump(d), {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.9',
      sport: 40000,
      dst: '10.96.0.30',
      dport: 80,
    });
    expect(steps(r.paths[0]).slice(-3)).toEqual([
      'OUTPUT raw:OUTPUT:1:CONTINUE',
      'OUTPUT raw:OUTPUT:policy:ACCEPT',
      'POSTROUTING nat:POSTROUTING:1:ACCEPT',
    ]);
    expect(r.paths[0].final).toMatchObject({ src: '192.168.0.2', dst: '10.244.1.7', masqueraded: true });
  });
});
