import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handle, initialState } from './core';
import { prepareInput, sniffInput } from './input';

const yaml = readFileSync(join(import.meta.dirname, '../../fixtures/samples/iptables-node.yaml'), 'utf8');
const dump = readFileSync(join(import.meta.dirname, '../../fixtures/samples/iptables-node.rules'), 'utf8');

describe('the input is sniffed', () => {
  it.each([
    ['an iptables-save dump', dump, 'iptables-save'],
    ['a grep excerpt', '-A KUBE-SERVICES -j KUBE-NODEPORTS\n', 'iptables-save'],
    ['Service YAML with a comment first', yaml, 'kube-yaml'],
    ['a document marker', '---\napiVersion: v1\nkind: Service\n', 'kube-yaml'],
    ['kubectl get -o json', '{\n  "apiVersion": "v1",\n  "kind": "List",\n  "items": []\n}\n', 'kube-yaml'],
    ['a JSON that is not Kubernetes', '{"a": 1}', 'iptables-save'],
    ['nothing', '\n\n', 'iptables-save'],
  ])('%s', (_name, text, kind) => {
    expect(sniffInput(text)).toBe(kind);
  });
});

describe('YAML becomes the dump kube-proxy would write', () => {
  it('generates the sample node from its YAML, with each Service port linked to its chains and lines', () => {
    const prepared = prepareInput(yaml, { clusterCIDR: '10.244.0.0/16' });
    expect(prepared.info.kind).toBe('kube-yaml');
    if (prepared.info.kind !== 'kube-yaml') return;
    const web = prepared.info.services.find((s) => s.servicePortName === 'default/web:http');
    expect(web?.chains).toContain('KUBE-SVC-CDGGSHYLG3RE2FKL');
    const lines = yaml.split('\n');
    expect(lines[(web?.line ?? 0) - 1]).toMatch(/^apiVersion: v1|^kind: Service/);
    expect(lines[(web?.portLine ?? 0) - 1]).toContain('name: http');
    expect(prepared.dump).toContain('-A KUBE-SVC-CDGGSHYLG3RE2FKL');
  });

  it('the worker parses YAML like a dump and reports YAML errors at their line', () => {
    const { response } = handle(initialState, { id: 1, kind: 'parse', text: yaml });
    expect(response.kind).toBe('parse');
    if (response.kind !== 'parse') return;
    expect(response.input.kind).toBe('kube-yaml');
    expect(response.summary.rules).toBeGreaterThan(50);
    const broken = `${yaml}---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  ports:\n    - {port: 70000}\n`;
    const second = handle(initialState, { id: 2, kind: 'parse', text: broken }).response;
    if (second.kind !== 'parse') throw new Error(second.kind);
    const error = second.diagnostics.find((d) => d.severity === 'error');
    expect(error?.span.line).toBe(broken.split('\n').indexOf('    - {port: 70000}') + 1);
  });

  it('example endpoints are invented only when asked, in this node’s pod CIDR', () => {
    const lonely =
      'apiVersion: v1\nkind: Service\nmetadata: {name: lonely}\nspec:\n  selector: {app: x}\n  ports: [{port: 80}]\n';
    expect(prepareInput(lonely).dump).toContain('has no endpoints');
    const example = prepareInput(lonely, { exampleEndpoints: 2, podCIDR: '10.244.0.0/24' }).dump;
    expect(example).not.toContain('"default/lonely has no endpoints"');
    expect(example).toContain('# chainwalk: not from the cluster');
    expect(example.match(/DNAT --to-destination 10\.244\.0\.\d+:80/g)).toHaveLength(2);
  });
});

describe('YAML in IPVS mode', () => {
  it('is one paste of rules, ipsets and the IPVS table, which the worker traces through IPVS', () => {
    const prepared = prepareInput(yaml, { clusterCIDR: '10.244.0.0/16', mode: 'ipvs' });
    expect(prepared.dump).toContain('create KUBE-CLUSTER-IP hash:ip,port');
    expect(prepared.dump).toContain('-A -t 10.96.12.34:80 -s rr');
    let state = handle(initialState, { id: 1, kind: 'parse', text: yaml, kube: { mode: 'ipvs' } }).state;
    const traced = handle(state, {
      id: 2,
      kind: 'trace',
      packet: { origin: 'pod', proto: 'tcp', src: '10.244.0.12', sport: 40000, dst: '10.96.12.34', dport: 80 },
    });
    state = traced.state;
    if (traced.response.kind !== 'trace') throw new Error(traced.response.kind);
    const paths = traced.response.result.paths;
    expect(paths).toHaveLength(3);
    expect(paths.every((p) => p.ipvs?.some((e) => e.action === 'schedule' && e.scheduler === 'rr'))).toBe(true);
  });
});

describe('kube-proxy options from the page', () => {
  const local =
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  externalTrafficPolicy: Local\n  selector: {app: web}\n  ports: [{port: 80, nodePort: 30080}]\n';
  it.each([
    ['current', '-j KUBE-EXT-', 'KUBE-XLB-'],
    ['1.24', ':KUBE-MARK-DROP - [0:0]', 'KUBE-XLB-'],
    ['legacy', '-j KUBE-XLB-', 'KUBE-EXT-'],
  ] as const)('layout %s writes that release’s chains', (layout, present, absent) => {
    const { dump } = prepareInput(local, { layout, exampleEndpoints: 1 });
    expect(dump).toContain(present);
    expect(dump).not.toContain(absent);
  });

  it('--nodeport-addresses limits NodePorts to those node addresses', () => {
    const { dump } = prepareInput(local, { nodePortAddresses: ['192.168.0.0/24'], exampleEndpoints: 1 });
    expect(dump).not.toContain('--dst-type LOCAL -j KUBE-NODEPORTS');
  });
});
