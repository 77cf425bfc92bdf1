import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../model';
import { getRule, parseIptablesSave, parseNodeDump } from '../parse';
import { nodeContext, nodeContextFromDump, simulate } from '../sim';
import { traceToMarkdown } from '.';

describe('a trace as Markdown', () => {
  it('lists every path and the chosen one’s kernel events with their rules', () => {
    const text = readFileSync(join(__dirname, '../../fixtures/hairpin-clusterip.rules'), 'utf8');
    const { ruleset } = parseIptablesSave(text);
    const packet: Packet = {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.5',
      sport: 40000,
      dst: '172.30.0.41',
      dport: 80,
    };
    const result = simulate(ruleset, nodeContext(), packet);
    const rules: Record<number, { line: number; text: string }> = {};
    for (const p of result.paths)
      for (const e of p.events)
        if (e.ruleId !== null)
          rules[e.ruleId] = { line: ruleset.rules.line[e.ruleId], text: getRule(ruleset, e.ruleId).text };
    const md = traceToMarkdown(packet, result, 0, rules);
    expect(md).toContain('tcp 10.244.0.5:40000 → 172.30.0.41:80, from a pod on this node');
    expect(md).toContain(
      '| 1 (below) | 50.00% | sent to 10.244.0.5:80 out of cni0, source masqueraded to 10.244.0.1 |',
    );
    expect(md).toContain('| 2 | 50.00% | sent to 10.244.1.5:80 out of eth0, source kept |');
    expect(md).toMatch(
      /\| 1 \| PREROUTING \| nat:PREROUTING:1 \| JUMP:KUBE-SERVICES \| line 14: `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES` \|/,
    );
    // Implicit returns are not kernel events.
    expect(md).not.toContain('(return)');
  });
});

describe('an ipvs-mode trace as Markdown', () => {
  it('shows the IPVS steps where they happen, unnumbered between the kernel events', () => {
    const dump = parseNodeDump(readFileSync(join(__dirname, '../../fixtures/ipvs/node.dump'), 'utf8'));
    const packet: Packet = {
      origin: 'pod',
      proto: 'tcp',
      src: '10.244.0.9',
      sport: 40000,
      dst: '10.96.0.10',
      dport: 80,
    };
    const result = simulate(dump.ruleset, nodeContextFromDump(dump), packet);
    const rows = traceToMarkdown(packet, result, 1, {}).split('\n');
    const at = rows.indexOf('| – | INPUT | IPVS ip_vs_in_hook | ACCEPT | `TCP  10.96.0.10:80 schedule` |');
    expect(at).toBeGreaterThan(0);
    expect(rows[at - 1]).toMatch(/^\| \d+ \| INPUT \| filter:INPUT \(policy\) \| ACCEPT \|/);
    expect(rows[at + 1]).toBe(
      '| – | INPUT | IPVS ip_vs_in_hook | STOLEN | `TCP  10.96.0.10:80 → 10.244.1.7:8080 (masq)` |',
    );
    expect(rows[at + 2]).toMatch(/^\| \d+ \| OUTPUT \| filter:OUTPUT:1 \|/);
  });
});
