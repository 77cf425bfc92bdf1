import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKubeProxyDump, worstService } from '../../bench/gen';
import { parseIptablesSave } from '../parse';
import { chainNodeId, searchChains } from '.';

const fixture = readFileSync(join(import.meta.dirname, '../../fixtures/kernel/kube-cluster.rules'), 'utf8');
const ruleset = parseIptablesSave(fixture, { checkRules: false }).ruleset;
const nat = (name: string) => chainNodeId(4, 'nat', name);

describe('searching for chains', () => {
  it('finds a chain by part of its name, in any case', () => {
    const hits = searchChains(ruleset, 'kube-svc-bea4');
    expect(hits[0]).toMatchObject({ id: nat('KUBE-SVC-BEA4T34QEWGUELNC'), match: { kind: 'name' } });
  });

  const byRule: [string, string, RegExp][] = [
    ['a Service name', 'default/api:grpc', /default\/api:grpc/],
    ['a cluster IP', '10.96.10.30', /-d 10\.96\.10\.30\/32/],
    ['a port', '9000', /9000/],
  ];
  it.each(byRule)('finds the chains whose rules mention %s', (_, query, text) => {
    const hits = searchChains(ruleset, query);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      expect(hit.match.kind).toBe('rule');
      if (hit.match.kind === 'rule') {
        expect(hit.match.text).toMatch(text);
        expect(fixture.split('\n')[hit.match.line - 1]).toContain(hit.match.text);
        expect(hit.match.text.startsWith(`-A ${hit.chain} `)).toBe(true);
      }
    }
  });

  it('names the Service of a hit from the chain’s comments', () => {
    const [hit] = searchChains(ruleset, 'KUBE-SVC-BEA4T34QEWGUELNC');
    expect(hit.service).toMatch(/^default\/api/);
  });

  it('lists each chain once, at most `limit` of them', () => {
    const hits = searchChains(ruleset, 'KUBE', 5);
    expect(hits).toHaveLength(5);
    expect(new Set(hits.map((h) => h.id)).size).toBe(5);
  });

  it('finds nothing for a query too short or absent', () => {
    expect(searchChains(ruleset, 'K')).toEqual([]);
    expect(searchChains(ruleset, '203.0.113.254')).toEqual([]);
  });

  it('answers on a 10k-Service dump in well under a second', () => {
    const big = parseIptablesSave(generateKubeProxyDump({ services: 10_000 }), { checkRules: false }).ruleset;
    const worst = worstService({ services: 10_000 });
    const started = performance.now();
    const hits = searchChains(big, worst.ip);
    const ms = performance.now() - started;
    expect(hits.map((h) => h.id)).toContain(nat(worst.chain));
    expect(ms).toBeLessThan(2_000);
  }, 60_000);
});
