// TestOverallIPTablesRules (kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go), ported:
// the same Services and EndpointSlices as YAML, the same fake node, the result sorted with
// sortIPTablesRules' algorithm and compared with the expected dump rule for rule.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseIptablesSave } from '../parse';
import { generateFromYaml } from './index';
import { chainRules, checkIPTablesRuleJumps, FAKE_PROXIER, sortIPTablesRules } from './proxier-testing';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/kube/${name}`, import.meta.url), 'utf8');

/** Chains and rules of `expected` that `got` has, line for line (both already sorted). */
function matching(got: string, expected: string): { chains: string; rules: string } {
  const lines = (t: string, p: string) => t.split('\n').filter((l) => l.startsWith(p));
  const score = (p: string) => {
    const have = new Set(lines(got, p));
    const want = lines(expected, p);
    return `${want.filter((l) => have.has(l)).length}/${want.length}`;
  };
  return { chains: score(':'), rules: score('-A ') };
}

describe.each([
  ['TestOverallIPTablesRules', 'overall', { chains: '26/26', rules: '65/65' }],
  ['TestSyncProxyRulesRepeated (initial full sync)', 'repeated', { chains: '14/14', rules: '19/19' }],
  ['TestBadIPs', 'badips', { chains: '14/14', rules: '23/23' }],
])('%s', (_name, fixtureName, counts) => {
  const result = generateFromYaml(fixture(`${fixtureName}.yaml`), FAKE_PROXIER);
  const expected = fixture(`${fixtureName}.expected.rules`);
  const got = sortIPTablesRules(result.restore);

  test('the YAML reads without errors', () => {
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  test(`every chain and rule equals kube-proxy’s expected dump (${counts.chains} chains, ${counts.rules} rules)`, () => {
    expect(matching(got, expected)).toEqual(counts);
    expect(got.split('\n')).toEqual(expected.split('\n'));
  });

  test('the iptables-save form parses with no diagnostics', () => {
    const parsed = parseIptablesSave(result.dump);
    expect(parsed.diagnostics).toEqual([]);
  });
});

describe('TestSyncProxyRulesLargeClusterMode (full syncs)', () => {
  const service = (ns: string, name: string, ip: string, port: number) =>
    `apiVersion: v1\nkind: Service\nmetadata: {namespace: ${ns}, name: ${name}}\nspec:\n  clusterIP: ${ip}\n  ports: [{name: p${port}, port: ${port}, protocol: TCP}]\n---\n`;
  const slice = (ns: string, name: string, port: number, ips: string[]) =>
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {namespace: ${ns}, name: ${name}-1, labels: {kubernetes.io/service-name: ${name}}}\naddressType: IPv4\nendpoints:\n${ips.map((ip) => `  - addresses: [${ip}]`).join('\n')}\nports: [{name: p${port}, port: ${port}, protocol: TCP}]\n---\n`;
  const half = 1000 / 2 - 1;
  const ips = (prefix: string) => Array.from({ length: half }, (_, i) => `${prefix}.${i % 256}.${Math.floor(i / 256)}`);
  const base =
    service('ns1', 'svc1', '172.30.0.41', 80) +
    service('ns2', 'svc2', '172.30.0.42', 8080) +
    service('ns3', 'svc3', '172.30.0.43', 8081) +
    slice('ns1', 'svc1', 80, ips('10.0')) +
    slice('ns2', 'svc2', 8080, ips('10.1'));
  const dnat = (restore: string) =>
    restore.split('\n').filter((l) => l.startsWith('-A KUBE-SEP-') && l.includes('-j DNAT'));

  test('998 endpoints keep their comments', () => {
    const rules = dnat(generateFromYaml(base, FAKE_PROXIER).restore);
    expect(rules).toHaveLength(998);
    expect(rules.filter((l) => l.includes('--comment'))).toHaveLength(998);
    expect(rules).toContain(
      '-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80',
    );
  });

  test('1001 endpoints lose them', () => {
    const yaml = base + slice('ns3', 'svc3', 8081, ['203.0.113.4', '203.0.113.8', '203.0.113.12']);
    const restore = generateFromYaml(yaml, FAKE_PROXIER).restore;
    const rules = dnat(restore);
    expect(rules).toHaveLength(1001);
    expect(rules.filter((l) => l.includes('--comment'))).toHaveLength(0);
    expect(rules).toContain('-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80');
    expect(rules).toContain('-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081');
    expect(restore).toContain('-A KUBE-SERVICES -m comment --comment "ns3/svc3:p8081 cluster IP"');
  });
});

describe('single-chain checks of proxier_test.go', () => {
  const forward = [
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ];
  test.each([
    ['no nfacct', { nfacct: false }, ['-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP', ...forward]],
    [
      'nfacct',
      { nfacct: true },
      [
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP',
        ...forward,
      ],
    ],
    ['tcp liberal', { nfacct: false, conntrackTCPLiberal: true }, forward],
  ])('TestDropInvalidRule: %s', (_name, options, expected) => {
    expect(chainRules(generateFromYaml('', { ...FAKE_PROXIER, ...options }).restore, 'filter', 'KUBE-FORWARD')).toEqual(
      expected,
    );
  });

  test.each([false, true])('TestMasqueradeRule: randomFully %s', (randomFully) => {
    expect(
      chainRules(generateFromYaml('', { ...FAKE_PROXIER, randomFully }).restore, 'nat', 'KUBE-POSTROUTING'),
    ).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? ' --random-fully' : ''}`,
    ]);
  });

  test.each([
    [
      true,
      [
        '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      ],
    ],
    [false, []],
  ])('TestNodePorts: KUBE-FIREWALL with localhostNodePorts %s', (localhostNodePorts, expected) => {
    expect(
      chainRules(generateFromYaml('', { ...FAKE_PROXIER, localhostNodePorts }).restore, 'filter', 'KUBE-FIREWALL'),
    ).toEqual(expected);
  });
});

describe('checkIPTablesRuleJumps', () => {
  test.each(['overall', 'repeated', 'badips'])('%s is consistent', (name) => {
    expect(checkIPTablesRuleJumps(generateFromYaml(fixture(`${name}.yaml`), FAKE_PROXIER).restore)).toEqual([]);
  });

  test('an eTP=Local LoadBalancer with affinity, source ranges and only remote endpoints is consistent', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: ns9, name: svc9}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  internalTrafficPolicy: Local
  clusterIP: 172.30.0.99
  loadBalancerSourceRanges: [192.168.0.0/16]
  sessionAffinity: ClientIP
  ports: [{name: a, port: 80, nodePort: 3099}, {name: b, port: 53, protocol: UDP}]
status: {loadBalancer: {ingress: [{ip: 9.9.9.9}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ns9, name: svc9-x, labels: {kubernetes.io/service-name: svc9}}
addressType: IPv4
endpoints: [{addresses: [10.9.0.1], nodeName: elsewhere}, {addresses: [10.9.0.2], nodeName: test-node}]
ports: [{name: a, port: 8080, protocol: TCP}, {name: b, port: 5353, protocol: UDP}]
`;
    const { restore } = generateFromYaml(yaml, FAKE_PROXIER);
    expect(checkIPTablesRuleJumps(restore)).toEqual([]);
    // The node IP is inside the source range, so the LB IP may loop back as a source.
    expect(restore).toContain('-A KUBE-FW-');
    expect(restore).toMatch(/-s 9\.9\.9\.9 -j KUBE-EXT-/);
  });
});
