// The IPVS-mode generator: what kube-proxy's IPVS proxier (pkg/proxy/ipvs/proxier.go) writes for
// each shape of Service, read back through chainwalk's own parsers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseIpsetSave, parseIptablesSave } from '../parse';
import { generateFromYaml, type IpvsGenerateResult, ipvsNodeDump } from './index';

const NODE = `apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
`;

function svc(name: string, spec: string, status = ''): string {
  return `---
apiVersion: v1
kind: Service
metadata: {namespace: default, name: ${name}}
spec:
${spec}${status}`;
}

function eps(name: string, port: string, endpoints: string[]): string {
  return `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: default, name: ${name}-x, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [${port}]
endpoints:
${endpoints.map((e) => `  - ${e}`).join('\n')}
`;
}

const local = (ip: string, conditions = '{ready: true}') =>
  `{addresses: [${ip}], nodeName: node-1, conditions: ${conditions}}`;
const remote = (ip: string) => `{addresses: [${ip}], nodeName: node-2}`;

function generate(...docs: string[]): IpvsGenerateResult {
  return generateFromYaml([NODE, ...docs].join('\n'), { mode: 'ipvs', allocate: false });
}

const set = (r: IpvsGenerateResult, name: string) => r.ipvs.ipsets.find((s) => s.name === name)?.entries;
const realServers = (r: IpvsGenerateResult, address: string, port: number) =>
  r.ipvs.virtualServers
    .find((vs) => vs.address === address && vs.port === port)
    ?.realServers.map((rs) => `${rs.address}:${rs.port}`);

describe('IPVS mode: ipsets, virtual servers and kube-ipvs0', () => {
  const web = svc(
    'web',
    '  type: NodePort\n  clusterIP: 10.96.0.20\n  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]\n',
  );
  const webEps = eps('web', '{name: http, port: 8080, protocol: TCP}', [
    local('10.244.0.6'),
    remote('10.244.1.8'),
    local('10.244.0.7', '{ready: false, serving: true, terminating: true}'),
  ]);

  test.each([
    ['cluster IP and port go into KUBE-CLUSTER-IP', 'KUBE-CLUSTER-IP', ['10.96.0.20,tcp:80']],
    ['node ports go into the protocol bitmap', 'KUBE-NODE-PORT-TCP', ['30080']],
    [
      'every local endpoint, ready or not, goes into KUBE-LOOP-BACK',
      'KUBE-LOOP-BACK',
      ['10.244.0.6,tcp:8080,10.244.0.6', '10.244.0.7,tcp:8080,10.244.0.7'],
    ],
    ['the bound VIPs go into KUBE-IPVS-IPS', 'KUBE-IPVS-IPS', ['10.96.0.20']],
    ['sets without members are still created', 'KUBE-LOAD-BALANCER', []],
  ])('%s', (_what, name, entries) => {
    expect(set(generate(web, webEps), name)).toEqual(entries);
  });

  test('a ready endpoint keeps a terminating one out of the real servers', () => {
    expect(realServers(generate(web, webEps), '10.96.0.20', 80)).toEqual(['10.244.0.6:8080', '10.244.1.8:8080']);
  });

  test('with no ready endpoint, the serving terminating ones are the real servers', () => {
    const r = generate(
      web,
      eps('web', '{name: http, port: 8080, protocol: TCP}', [
        local('10.244.0.7', '{ready: false, serving: true, terminating: true}'),
      ]),
    );
    expect(realServers(r, '10.96.0.20', 80)).toEqual(['10.244.0.7:8080']);
  });

  test('a node port gets a virtual server on each node IP, not bound to kube-ipvs0', () => {
    const r = generate(web, webEps);
    expect(realServers(r, '192.168.0.2', 30080)).toEqual(['10.244.0.6:8080', '10.244.1.8:8080']);
    expect(r.ipvs.boundAddresses).toEqual(['10.96.0.20']);
  });

  test('externalTrafficPolicy Local uses the local endpoints, and all of them when none is local', () => {
    const spec = (ip: string, nodePort: number) =>
      `  type: NodePort\n  externalTrafficPolicy: Local\n  clusterIP: ${ip}\n  ports: [{name: http, port: 80, nodePort: ${nodePort}}]\n`;
    const r = generate(
      svc('a', spec('10.96.0.30', 30001)),
      eps('a', '{name: http, port: 80, protocol: TCP}', [local('10.244.0.6'), remote('10.244.1.8')]),
      svc('b', spec('10.96.0.31', 30002)),
      eps('b', '{name: http, port: 80, protocol: TCP}', [remote('10.244.1.9')]),
    );
    expect(realServers(r, '192.168.0.2', 30001)).toEqual(['10.244.0.6:80']);
    // syncEndpoint, PR 97081: pods on this node can still reach it.
    expect(realServers(r, '192.168.0.2', 30002)).toEqual(['10.244.1.9:80']);
    expect(realServers(r, '10.96.0.30', 80)).toEqual(['10.244.0.6:80', '10.244.1.8:80']);
    expect(set(r, 'KUBE-NODE-PORT-LOCAL-TCP')).toEqual(['30001', '30002']);
  });

  test('internalTrafficPolicy Local with no local endpoint leaves the ClusterIP without real servers', () => {
    const r = generate(
      svc('a', '  internalTrafficPolicy: Local\n  clusterIP: 10.96.0.30\n  ports: [{name: http, port: 80}]\n'),
      eps('a', '{name: http, port: 80, protocol: TCP}', [remote('10.244.1.8')]),
    );
    expect(realServers(r, '10.96.0.30', 80)).toEqual([]);
  });

  test('source ranges that hold the node IP let the LB IP in as a source; others get a KUBE-IPVS-OUT-FILTER drop', () => {
    const lb = (name: string, ip: string, lbIP: string, ranges: string) =>
      svc(
        name,
        `  type: LoadBalancer\n  clusterIP: ${ip}\n  loadBalancerSourceRanges: [${ranges}]\n  ports: [{name: https, port: 443}]\n`,
        `status: {loadBalancer: {ingress: [{ip: ${lbIP}}]}}\n`,
      );
    const r = generate(
      lb('open', '10.96.0.40', '1.2.3.5', '192.168.0.0/24, 10.1.2.3/32'),
      lb('strict', '10.96.0.41', '1.2.3.6', '203.0.113.0/25'),
    );
    expect(set(r, 'KUBE-LOAD-BALANCER-SOURCE-IP')).toEqual(['1.2.3.5,tcp:443,1.2.3.5']);
    // ipset save prints a host net without its /32.
    expect(set(r, 'KUBE-LOAD-BALANCER-SOURCE-CIDR')).toEqual([
      '1.2.3.5,tcp:443,10.1.2.3',
      '1.2.3.5,tcp:443,192.168.0.0/24',
      '1.2.3.6,tcp:443,203.0.113.0/25',
    ]);
    expect(r.dump).toContain(
      '-A KUBE-IPVS-OUT-FILTER -s 1.2.3.6/32 -m ipvs --vproto 6 --vaddr 1.2.3.6/32 --vport 443 -j DROP',
    );
    expect(r.dump).not.toContain('--vaddr 1.2.3.5');
  });

  test('an external IP that is a node address is not bound to kube-ipvs0', () => {
    const r = generate(
      svc('a', '  clusterIP: 10.96.0.50\n  externalIPs: [192.168.0.2, 5.6.7.8]\n  ports: [{name: http, port: 80}]\n'),
    );
    expect(r.ipvs.boundAddresses).toEqual(['10.96.0.50', '5.6.7.8']);
    expect(set(r, 'KUBE-EXTERNAL-IP')).toEqual(['192.168.0.2,tcp:80', '5.6.7.8,tcp:80']);
  });

  test('only LoadBalancers with externalTrafficPolicy Local get their health check node port', () => {
    const lb = (name: string, policy: string, hc: number) =>
      svc(
        name,
        `  type: LoadBalancer\n  externalTrafficPolicy: ${policy}\n  healthCheckNodePort: ${hc}\n  clusterIP: 10.96.0.${hc - 31990}\n  ports: [{name: http, port: 80, nodePort: ${hc - 1000}}]\n`,
      );
    expect(set(generate(lb('a', 'Local', 32000), lb('b', 'Cluster', 32001)), 'KUBE-HEALTH-CHECK-NODE-PORT')).toEqual([
      '32000',
    ]);
  });

  test('SCTP node ports are hash:ip,port entries per node IP', () => {
    const r = generate(
      svc(
        'a',
        '  type: NodePort\n  clusterIP: 10.96.0.60\n  ports: [{name: s, port: 9999, protocol: SCTP, nodePort: 30999}]\n',
      ),
    );
    expect(set(r, 'KUBE-NODE-PORT-SCTP-HASH')).toEqual(['192.168.0.2,sctp:30999']);
    expect(r.dump).toContain('-A KUBE-NODE-PORT -p sctp -m comment');
  });

  test('ipvsadm-save: ClientIP affinity is -p with its timeout, mh adds mh-port, UDP is -u', () => {
    const yaml = [
      NODE,
      svc(
        'a',
        '  clusterIP: 10.96.0.70\n  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}\n  ports: [{name: dns, port: 53, protocol: UDP}]\n',
      ),
      eps('a', '{name: dns, port: 5353, protocol: UDP}', [remote('10.244.1.8')]),
    ].join('\n');
    expect(generateFromYaml(yaml, { mode: 'ipvs' }).ipvs.ipvsadmSave).toBe(
      '-A -u 10.96.0.70:53 -s rr -p 600\n-a -u 10.96.0.70:53 -r 10.244.1.8:5353 -m -w 1\n',
    );
    expect(generateFromYaml(yaml, { mode: 'ipvs', scheduler: 'mh' }).ipvs.ipvsadmSave).toContain(
      '-A -u 10.96.0.70:53 -s mh -p 600 -b mh-port\n',
    );
  });

  test('IPv6 sets are KUBE-6-…, cut to 31 characters, family inet6', () => {
    const r = generateFromYaml(
      [NODE, svc('a', '  clusterIP: fd00::10\n  ipFamilies: [IPv6]\n  ports: [{name: http, port: 80}]\n')].join('\n'),
      { mode: 'ipvs', nodeIPs: ['192.168.0.2', 'fd00::2'] },
    );
    expect(r.ipvs6?.ipsets.map((s) => s.name)).toContain('KUBE-6-LOAD-BALANCER-SOURCE-CID');
    expect(r.ipvs6?.ipsetSave).toContain(
      'create KUBE-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536\nadd KUBE-6-CLUSTER-IP fd00::10,tcp:80\n',
    );
    expect(r.ipvs6?.ipvsadmSave).toBe('-A -t [fd00::10]:80 -s rr\n');
    expect(r.ipv6?.dump).toContain('-A KUBE-SERVICES -s ::1/128 -j RETURN');
  });
});

describe('IPVS mode: the iptables rules', () => {
  const r = generate(
    svc('web', '  type: NodePort\n  clusterIP: 10.96.0.20\n  ports: [{name: http, port: 80, nodePort: 30080}]\n'),
    eps('web', '{name: http, port: 80, protocol: TCP}', [local('10.244.0.6')]),
  );

  test('nat KUBE-SERVICES in writeIptablesRules order; rules for empty sets are left out', () => {
    const lines = r.dump.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES'));
    expect(lines).toEqual([
      '-A KUBE-SERVICES -s 127.0.0.0/8 -j RETURN',
      '-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ',
      '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
      '-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT',
    ]);
  });

  test('KUBE-IPVS-FILTER is written whole, empty sets included', () => {
    expect(r.dump.split('\n').filter((l) => l.startsWith('-A KUBE-IPVS-FILTER'))).toHaveLength(6);
  });

  test('the jump rules are prepended in iptablesJumpChain order', () => {
    expect(r.dump.split('\n').filter((l) => l.startsWith('-A INPUT'))).toEqual([
      '-A INPUT -m comment --comment "kubernetes ipvs access filter" -j KUBE-IPVS-FILTER',
      '-A INPUT -m comment --comment "kube-proxy firewall rules" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check rules" -j KUBE-NODE-PORT',
    ]);
  });

  test('without a local-traffic detector, node traffic from a VIP is marked (src,dst)', () => {
    const text = [NODE, svc('a', '  clusterIP: 10.96.0.20\n  ports: [{name: http, port: 80}]\n')].join('\n');
    expect(generateFromYaml(text, { mode: 'ipvs', clusterCIDR: null }).dump).toContain(
      '-m set --match-set KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ',
    );
  });

  test('the restore buffer is nat then filter, as kube-proxy hands it over', () => {
    expect(r.restore.indexOf('*nat')).toBeLessThan(r.restore.indexOf('*filter'));
  });

  test('chainwalk reads all three sections back without errors', () => {
    expect(parseIptablesSave(r.dump).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const sets = parseIpsetSave(r.ipvs.ipsetSave);
    expect(sets.diagnostics).toEqual([]);
    expect(Object.keys(sets.sets)).toHaveLength(17);
    expect(
      ipvsNodeDump(r)
        .split('\n')
        .filter((l) => l.startsWith('-A -t')),
    ).toEqual(['-A -t 10.96.0.20:80 -s rr', '-A -t 192.168.0.2:30080 -s rr']);
  });
});

describe('the kernel fixture', () => {
  test('kube-ipvs.rules and kube-ipvs.ipset are what the generator writes for kube-ipvs.yaml, less the -m ipvs rules', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'kernel');
    // kube-proxy's default --random-fully included (MASQUERADE towards lo then changes the port).
    const result = generateFromYaml(readFileSync(join(dir, 'kube-ipvs.yaml'), 'utf8'), { mode: 'ipvs' });
    expect(result.dump).toContain('-j MASQUERADE --random-fully');
    const withoutIpvs = result.dump
      .split('\n')
      .filter((l) => !l.includes(' -m ipvs '))
      .join('\n');
    expect(readFileSync(join(dir, 'kube-ipvs.rules'), 'utf8')).toBe(withoutIpvs);
    expect(readFileSync(join(dir, 'kube-ipvs.ipset'), 'utf8')).toBe(result.ipvs.ipsetSave);
    // The one rule left out is the node's own access to a range-limited LB IP (it needs xt_ipvs).
    expect(result.dump.split('\n').length - withoutIpvs.split('\n').length).toBe(1);
  });
});
