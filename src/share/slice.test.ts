import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKubeProxyDump, worstService } from '../../bench/gen';
import type { Packet } from '../model';
import { getRule, parseIptablesSave, parseNodeDump } from '../parse';
import { nodeContext, nodeContextFromDump, simulate } from '../sim';
import { toContractJson } from '../sim/contract';
import { sliceDump } from '.';

const cases: [string, Packet][] = [
  [
    'kube-cluster.rules',
    { origin: 'pod', proto: 'tcp', src: '10.244.0.5', sport: 40000, dst: '10.96.0.10', dport: 53 },
  ],
  [
    'kube-lb.rules',
    { origin: 'external', proto: 'tcp', src: '192.168.0.1', sport: 40000, dst: '192.168.0.2', dport: 31190 },
  ],
  [
    'host-firewall.rules',
    { origin: 'external', proto: 'tcp', src: '192.168.0.1', sport: 40000, dst: '192.168.0.2', dport: 22 },
  ],
];

describe('a sliced dump', () => {
  it.each(cases)('of %s loads cleanly, is smaller, and walks the packet the same way', (file, packet) => {
    const text = readFileSync(join(__dirname, '../../fixtures/kernel', file), 'utf8');
    const ctx = nodeContext({ nodeIPs: ['192.168.0.2/24'] });
    const full = parseIptablesSave(text).ruleset;
    const result = simulate(full, ctx, packet);
    const slice = sliceDump(full, result);
    const parsed = parseIptablesSave(slice);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(slice.length).toBeLessThan(text.length);
    const again = simulate(parsed.ruleset, ctx, packet);
    expect(toContractJson(again).paths).toEqual(toContractJson(result).paths);
  });
});

describe('a sliced node paste', () => {
  it.each<Packet>([
    { origin: 'pod', proto: 'tcp', src: '10.244.0.5', sport: 40000, dst: '10.96.0.10', dport: 80 },
    { origin: 'external', proto: 'tcp', src: '198.51.100.7', sport: 40000, dst: '192.168.0.2', dport: 30080 },
    { origin: 'external', proto: 'tcp', src: '192.0.2.1', sport: 40000, dst: '203.0.113.10', dport: 80 },
    { origin: 'pod', proto: 'tcp', src: '10.244.0.9', sport: 40000, dst: '10.96.0.20', dport: 80 },
  ])('keeps the sets and virtual services the walk needs: $origin → $dst:$dport walks the same', (packet) => {
    const dump = parseNodeDump(readFileSync(join(__dirname, '../../fixtures/ipvs/node.dump'), 'utf8'));
    const result = simulate(dump.ruleset, nodeContextFromDump(dump), packet);
    const slice = sliceDump(dump.ruleset, result, dump);
    const again = parseNodeDump(slice);
    expect(again.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(again.ipvs?.services.length).toBeLessThan(dump.ipvs?.services.length ?? 0);
    const walked = simulate(again.ruleset, nodeContextFromDump(again), packet);
    expect(toContractJson(walked).paths).toEqual(toContractJson(result).paths);
  });
});

describe('a slice for reading', () => {
  it('keeps long chains only near the matched rules, says what it left out, and still walks the same', () => {
    const services = 300;
    const text = generateKubeProxyDump({ services, seed: 1 });
    const target = worstService({ services, seed: 1 });
    const full = parseIptablesSave(text).ruleset;
    const ctx = nodeContext({ nodeIPs: ['192.168.0.2/24'], podCIDR: '10.244.0.0/24' });
    const packet: Packet = {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.12',
      sport: 40000,
      dst: target.ip,
      dport: target.port,
    };
    const result = simulate(full, ctx, packet);
    const whole = sliceDump(full, result);
    const view = sliceDump(full, result, null, { around: 3 });
    expect(view.length).toBeLessThan(whole.length / 2);
    // KUBE-SERVICES has a rule per Service port: most are left out, in runs named by a comment.
    expect(view).toMatch(/^# … [\d,]+ rules of KUBE-SERVICES left out here: this trace matched none of them$/m);
    const parsed = parseIptablesSave(view);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // The same walk, but rule positions are the view's own (left-out rules no longer count).
    const unnumbered = (r: typeof result) =>
      toContractJson(r).paths.map((p) => ({ ...p, events: p.events.map(({ rule: _, ...e }) => e) }));
    expect(unnumbered(simulate(parsed.ruleset, ctx, packet))).toEqual(unnumbered(result));
    // Every rule the trace matched is there, with its neighbours.
    for (const path of result.paths)
      for (const e of path.events) if (e.ruleId !== null) expect(view).toContain(getRule(full, e.ruleId).text);
  });
});
