import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeContext, Packet, TraceResult } from '../model';
import { parseIptablesSave, parseNodeDump } from '../parse';
import { nodeContext, nodeContextFromDump, simulate, toContractJson } from '.';
import { sourcePort } from './walk';

// The source port SNAT and MASQUERADE leave (nf_nat_core.c get_unique_tuple): kept unless
// --random/--random-fully (NF_NAT_RANGE_PROTO_RANDOM_ALL) or an original port outside --to-ports
// make the kernel draw one (nf_nat_l4proto_unique_tuple). Proven on the kernel by kube-ipvs's
// "… from the node" cases (MASQUERADE --random-fully towards lo: the address stays, the port not).

const NAT = ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n';

/** A node process 192.168.0.2:20000 → a local address: POSTROUTING towards lo, then the lo leg. */
const toLo = (extra: Partial<Packet> = {}): Packet => ({
  origin: 'local',
  proto: 'tcp',
  src: '192.168.0.2',
  sport: 20000,
  dst: '192.168.0.2',
  dport: 53,
  ...extra,
});

function trace(postrouting: string, packet: Packet, ctx: Partial<NodeContext> = {}): TraceResult {
  const { ruleset, diagnostics } = parseIptablesSave(`*nat\n${NAT}-A POSTROUTING ${postrouting}\nCOMMIT\n`);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return simulate(ruleset, nodeContext(ctx), packet);
}

const natNote = (r: TraceResult) =>
  r.paths[0].events.find((e) => e.chain === 'POSTROUTING' && e.kind === 'rule')?.notes?.at(-1);

describe('the source port after SNAT and MASQUERADE', () => {
  it('MASQUERADE --random-fully towards lo keeps the node address but not the port: the kernel picks it', () => {
    const r = trace('-j MASQUERADE --random-fully', toLo());
    const f = r.paths[0].final;
    expect(f).toMatchObject({ src: '192.168.0.2', sport: 20000, masqueraded: true, disposition: 'local' });
    expect(f.sportRandom).toEqual({ lo: 1024, hi: 65535 });
    expect(natNote(r)).toBe(
      'MASQUERADE: source address stays 192.168.0.2, with a port the kernel picks at random in 1024-65535 (--random-fully); 20000 is shown',
    );
    // The JSON says so: `masqueraded`, and the range in `final` (the card: src/share/explain.test.ts).
    expect(toContractJson(r).paths[0].final).toMatchObject({ masqueraded: true, sportRandom: { lo: 1024, hi: 65535 } });
  });

  it('plain MASQUERADE towards lo from the node address changes nothing', () => {
    const r = trace('-j MASQUERADE', toLo());
    expect(r.paths[0].final).toMatchObject({ src: '192.168.0.2', sport: 20000, masqueraded: false });
    expect(r.paths[0].final.sportRandom).toBeUndefined();
    expect(natNote(r)).toBe('MASQUERADE: source stays 192.168.0.2:20000');
    expect(toContractJson(r).paths[0].final).not.toHaveProperty('sportRandom');
  });

  it('out of an interface: a new address and a random port', () => {
    const pod = trace(
      '-o eth0 -j MASQUERADE --random-fully',
      toLo({ origin: 'pod', src: '10.244.0.5', dst: '8.8.8.8' }),
    );
    expect(pod.paths[0].final).toMatchObject({
      src: '192.168.0.2',
      sport: 20000,
      sportRandom: { lo: 1024, hi: 65535 },
      disposition: 'out',
      masqueraded: true,
    });
  });

  it('the lo leg sees the connection as source-NATed (--ctstate SNAT) when only the port changed', () => {
    const { ruleset } = parseIptablesSave(
      `*nat\n${NAT}-A POSTROUTING -j MASQUERADE --random-fully\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate SNAT -j DROP\nCOMMIT\n`,
    );
    const random = simulate(ruleset, nodeContext(), toLo());
    expect(random.paths[0].final.verdict).toBe('DROP');
    const { ruleset: plain } = parseIptablesSave(
      `*nat\n${NAT}-A POSTROUTING -j MASQUERADE\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate SNAT -j DROP\nCOMMIT\n`,
    );
    expect(simulate(plain, nodeContext(), toLo()).paths[0].final.verdict).toBe('ACCEPT');
  });

  it.each([
    // [target, original sport, port shown, random range or null]
    ['-j MASQUERADE --random', 20000, 20000, { lo: 1024, hi: 65535 }],
    ['-j MASQUERADE --random-fully', 500, 500, { lo: 1, hi: 511 }],
    ['-j MASQUERADE --random-fully', 800, 800, { lo: 600, hi: 1023 }],
    ['-j MASQUERADE --to-ports 1024-2048 --random-fully', 20000, 1024, { lo: 1024, hi: 2048 }],
    ['-j MASQUERADE --to-ports 1024-2048 --random-fully', 1500, 1500, { lo: 1024, hi: 2048 }],
    ['-j MASQUERADE --to-ports 1024-2048', 1500, 1500, null],
    ['-j MASQUERADE --to-ports 1024-2048', 20000, 1024, { lo: 1024, hi: 2048 }],
    ['-j MASQUERADE --to-ports 40000 --random-fully', 20000, 40000, null],
    ['-j SNAT --to-source 192.168.0.2:1000-2000', 20000, 1000, { lo: 1000, hi: 2000 }],
    ['-j SNAT --to-source 192.168.0.2:1000-2000', 1500, 1500, null],
    ['-j SNAT --to-source 192.168.0.2 --random-fully', 20000, 20000, { lo: 1024, hi: 65535 }],
    ['-j SNAT --to-source 192.168.0.2', 20000, 20000, null],
  ] as const)('%s from port %i: shows %i, random in %o', (target, sport, shown, random) => {
    const f = trace(target, toLo({ sport })).paths[0].final;
    expect([f.sport, f.sportRandom ?? null]).toEqual([shown, random]);
    expect(f.masqueraded).toBe(random !== null || shown !== sport);
  });

  it('ICMP has no port to pick', () => {
    expect(sourcePort(1, 0, undefined, true)).toEqual({ port: 0, random: null });
    expect(sourcePort(132, 20000, undefined, true)).toEqual({ port: 20000, random: { lo: 1024, hi: 65535 } });
  });
});

describe('IPVS to a real server on the node itself, from a node process (MASQUERADE --random-fully)', () => {
  // fixtures/ipvs/node.dump with kube-proxy's --random-fully and a host-network endpoint on the node
  // IP: ip_vs_nat_send_or_cont returns NF_ACCEPT for a local real server, so the packet goes on
  // through LOCAL_OUT and POSTROUTING towards lo, where MASQUERADE keeps 192.168.0.2.
  const text = readFileSync(new URL('../../fixtures/ipvs/node.dump', import.meta.url), 'utf8')
    .replace(
      '"kubernetes service traffic requiring SNAT" -j MASQUERADE\n',
      '"kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully\n',
    )
    .replace('-a -t 10.96.0.10:80 -r 10.244.1.7:8080 -m -w 1\n', '-a -t 10.96.0.10:80 -r 192.168.0.2:8080 -m -w 1\n');
  const dump = parseNodeDump(text);

  it('the address stays, the port is the kernel’s pick, and the source is not called kept', () => {
    expect(text).toContain('-j MASQUERADE --random-fully');
    const r = simulate(dump.ruleset, nodeContextFromDump(dump), {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.0.2',
      sport: 20000,
      dst: '10.96.0.10',
      dport: 80,
    });
    const local = r.paths.find((p) => p.final.dst === '192.168.0.2');
    expect(local?.final).toMatchObject({
      src: '192.168.0.2',
      masqueraded: true,
      sportRandom: { lo: 1024, hi: 65535 },
      disposition: 'local',
    });
    const pod = r.paths.find((p) => p.final.dst === '10.244.0.5');
    expect(pod?.final).toMatchObject({ src: '10.244.0.1', iface: 'cni0', sportRandom: { lo: 1024, hi: 65535 } });
  });
});
