import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../model';
import { parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '../sim';
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
