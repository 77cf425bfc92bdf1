import { describe, expect, it } from 'vitest';
import { ipvsSampleDump, ipvsScenarios, sampleContext, sampleDump, sampleScenarios, sampleYaml } from './app/sample';
import { generateFromYaml, ipvsNodeDump } from './kube';
import type { TraceResult } from './model';
import { parseIptablesSave, parseNodeDump } from './parse';
import { nodeContext, nodeContextFromDump, simulate } from './sim';

// The built-in sample is what the first-time visitor sees: it must be exactly what kube-proxy
// would write for its YAML, load without a diagnostic, and each scenario must show what it says.

const { ruleset, diagnostics } = parseIptablesSave(sampleDump);

/** Where every path of a walk ends (disposition, destination, masqueraded), sorted. */
function ends(result: TraceResult): string[] {
  return result.paths
    .map((p) => `${p.final.disposition} ${p.final.dst}:${p.final.dport} ${p.final.masqueraded ? 'masq' : '-'}`)
    .sort();
}
const ctx = nodeContext(sampleContext);

describe('the built-in sample', () => {
  it('is what chainwalk generate writes for its YAML', () => {
    const generated = generateFromYaml(sampleYaml, { nodeName: 'node-1', clusterCIDR: '10.244.0.0/16' });
    const body = sampleDump.split('\n').filter((l) => !l.startsWith('# The built-in') && !l.startsWith('# Written by'));
    expect(body.join('\n').trimEnd()).toBe(generated.dump.trimEnd());
  });

  it('loads without errors or warnings', () => {
    expect(diagnostics).toEqual([]);
  });

  // label fragment → where every path ends (disposition and destination) and whether masqueraded
  const expected: [string, string[]][] = [
    ['ClusterIP', ['out 10.244.0.5:8080 -', 'out 10.244.1.5:8080 -', 'out 10.244.2.7:8080 -']],
    ['Hairpin', ['out 10.244.0.5:8080 masq', 'out 10.244.1.5:8080 -', 'out 10.244.2.7:8080 -']],
    // KUBE-MARK-MASQ (not from a pod) and MASQUERADE --random-fully towards lo: the address stays,
    // the kernel picks a new port (kernel proof: kube-ipvs "… from the node").
    ['API server', ['local 192.168.56.10:6443 masq']],
    ['NodePort from outside', ['out 10.244.0.5:8080 masq', 'out 10.244.1.5:8080 masq', 'out 10.244.2.7:8080 masq']],
    ['allowed source range', ['out 10.244.1.20:8080 masq', 'out 10.244.2.21:8080 masq']],
    ['outside its ranges', ['dropped 203.0.113.10:80 -']],
    ['kept on this node', ['out 10.244.0.8:8080 -']],
    ['no pod here', ['dropped 192.168.56.10:31090 -']],
    ['without endpoints', ['rejected 10.96.50.5:6379 -']],
  ];

  it.each(expected)('scenario "%s" ends as it says', (fragment, paths) => {
    const scenario = sampleScenarios.find((s) => s.label.includes(fragment));
    if (!scenario) throw new Error(`no scenario "${fragment}"`);
    const result = simulate(ruleset, ctx, scenario.packet);
    expect(ends(result)).toEqual(paths);
    expect(result.paths.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 12);
  });

  it('has a scenario test for every scenario', () => {
    for (const s of sampleScenarios)
      expect(
        expected.some(([f]) => s.label.includes(f)),
        s.label,
      ).toBe(true);
  });
});

describe('the built-in IPVS sample', () => {
  const dump = parseNodeDump(ipvsSampleDump);
  const ipvsCtx = nodeContextFromDump(dump, sampleContext);

  it('is what chainwalk generate --mode ipvs writes for the same YAML', () => {
    const generated = generateFromYaml(sampleYaml, { nodeName: 'node-1', clusterCIDR: '10.244.0.0/16', mode: 'ipvs' });
    const body = ipvsSampleDump
      .split('\n')
      .filter((l) => !l.startsWith('# The built-in') && !l.startsWith('# Written by'));
    expect(body.join('\n').trimEnd()).toBe(ipvsNodeDump(generated).trimEnd());
  });

  it('is an IPVS-mode paste that loads without errors', () => {
    expect(dump.mode).toBe('ipvs');
    expect(dump.sections.map((s) => s.kind)).toEqual(['iptables-save', 'iptables-save', 'ipset-save', 'ipvsadm-save']);
    expect(dump.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  // label fragment → where every path ends, and whether masqueraded
  const expected: [string, string[]][] = [
    ['ClusterIP: ipset match', ['out 10.244.0.5:8080 -', 'out 10.244.1.5:8080 -', 'out 10.244.2.7:8080 -']],
    ['Hairpin', ['out 10.244.0.5:8080 masq', 'out 10.244.1.5:8080 -', 'out 10.244.2.7:8080 -']],
    // KUBE-MARK-MASQ (not from a pod) and MASQUERADE --random-fully towards lo: the address stays,
    // the kernel picks a new port (kernel proof: kube-ipvs "… from the node").
    ['API server', ['local 192.168.56.10:6443 masq']],
    ['NodePort from outside', ['out 10.244.0.5:8080 masq', 'out 10.244.1.5:8080 masq', 'out 10.244.2.7:8080 masq']],
    ['allowed source range', ['out 10.244.1.20:8080 masq', 'out 10.244.2.21:8080 masq']],
    ['outside its ranges', ['dropped 203.0.113.10:80 -']],
    ['pod on this node, source kept', ['out 10.244.0.8:8080 -']],
    ['no real server', ['rejected 10.96.50.5:6379 -']],
  ];

  it.each(expected)('scenario "%s" ends as it says', (fragment, paths) => {
    const scenario = ipvsScenarios.find((s) => s.label.includes(fragment));
    if (!scenario) throw new Error(`no scenario "${fragment}"`);
    const result = simulate(dump.ruleset, ipvsCtx, scenario.packet);
    expect(ends(result)).toEqual(paths);
  });

  it('has a scenario test for every scenario', () => {
    for (const s of ipvsScenarios)
      expect(
        expected.some(([f]) => s.label.includes(f)),
        s.label,
      ).toBe(true);
  });
});
