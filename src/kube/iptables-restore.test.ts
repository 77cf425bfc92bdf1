// The generated iptables-save text is what iptables itself would print: load it with the real
// iptables-restore in a private network namespace (`unshare -n`, gone when the process exits),
// save it again, and compare. Needs root, unshare and iptables; otherwise it says why and skips.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseIptablesSave } from '../parse';
import { generateFromYaml, type KubeProxyOptions } from './index';

function roundTrip(dump: string, family: 4 | 6): { status: number | null; saved: string; stderr: string } {
  const [restore, save] =
    family === 4 ? ['iptables-restore', 'iptables-save'] : ['ip6tables-restore', 'ip6tables-save'];
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${restore} && ${save}`], {
    input: dump,
    encoding: 'utf8',
    timeout: 20000,
  });
  return { status: r.status, saved: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const unavailable = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = roundTrip('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 4);
  return probe.status === 0
    ? null
    : `unshare -n iptables-restore does not work here: ${probe.stderr.trim() || probe.status}`;
})();
if (unavailable) console.info(`iptables-restore round trip skipped: ${unavailable}`);

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/kube/${name}`, import.meta.url), 'utf8');
const withoutComments = (text: string) => text.split('\n').filter((l) => !l.startsWith('#') && l !== '');

// nfacct counters are objects kube-proxy creates over netlink; a fresh namespace has none, so
// rules naming them cannot load there. Everything else must round-trip byte for byte.
const OPTIONS: KubeProxyOptions = { nodeName: 'test-node', clusterCIDR: '10.0.0.0/8,fd00:10::/64', nfacct: false };

describe.skipIf(unavailable !== null)('iptables-restore then iptables-save gives the generated text back', () => {
  test.each(['overall', 'badips', 'repeated'])('%s', (name) => {
    const { dump } = generateFromYaml(fixture(`${name}.yaml`), { ...OPTIONS, exampleEndpoints: 3 });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('an eTP=Local NodePort with the BridgeInterface detector', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: shop, name: web}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  clusterIP: 10.96.0.80
  ports: [{name: http, port: 80, nodePort: 30080}]
`;
    const detectLocal = { mode: 'BridgeInterface' as const, interface: 'cbr0' };
    const { dump } = generateFromYaml(yaml, { ...OPTIONS, exampleEndpoints: 2, detectLocal });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('source ranges that match everything or carry host bits', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: a, name: b}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.5
  loadBalancerSourceRanges: [0.0.0.0/0, 10.1.2.3/8]
  ports: [{port: 80, nodePort: 30001}]
status: {loadBalancer: {ingress: [{ip: 1.1.1.1}]}}
`;
    const { dump } = generateFromYaml(yaml, { ...OPTIONS, exampleEndpoints: 1 });
    const r = roundTrip(dump, 4);
    expect(r.stderr).toBe('');
    expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
  });

  test('the ip6tables half of a dual-stack Service', () => {
    const yaml = `apiVersion: v1
kind: Service
metadata: {namespace: ns1, name: svc1}
spec:
  type: LoadBalancer
  clusterIPs: [172.30.0.41, "fd00:172:30::41"]
  loadBalancerSourceRanges: ["2001:db8:aa::/48"]
  sessionAffinity: ClientIP
  ports: [{name: p80, port: 80, nodePort: 3001}, {name: dns, port: 53, protocol: UDP}]
status: {loadBalancer: {ingress: [{ip: "2001:db8:ff::1"}]}}
`;
    const result = generateFromYaml(yaml, { ...OPTIONS, nodeIPs: ['192.168.0.2', '2001:db8::1'] });
    const v6 = result.ipv6?.dump ?? '';
    const withEndpoints = generateFromYaml(
      `${yaml}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ns1, name: svc1-6, labels: {kubernetes.io/service-name: svc1}}
addressType: IPv6
endpoints: [{addresses: ["fd00:10::a"]}, {addresses: ["fd00:10::b"]}, {addresses: ["fd00:10::c"]}]
ports: [{name: p80, port: 8080, protocol: TCP}, {name: dns, port: 53, protocol: UDP}]
`,
      { ...OPTIONS, nodeIPs: ['192.168.0.2', '2001:db8::1'] },
    ).ipv6?.dump;
    for (const dump of [v6, withEndpoints ?? '']) {
      expect(parseIptablesSave(dump).diagnostics).toEqual([]);
      const r = roundTrip(dump, 6);
      expect(r.stderr).toBe('');
      expect(withoutComments(r.saved)).toEqual(withoutComments(dump));
    }
  });
});
