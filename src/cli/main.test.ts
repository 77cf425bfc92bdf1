import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main';

const FIXTURE = join(__dirname, '../../fixtures/hairpin-clusterip.rules');

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out, err };
}

describe('chainwalk trace', () => {
  it('prints the JSON contract: paths with probability, kernel-order events and the final packet', async () => {
    const { code, out } = await run([
      'trace',
      FIXTURE,
      '--from',
      'external',
      '--proto',
      'tcp',
      '--src',
      '192.168.0.1:40000',
      '--dst',
      '172.30.0.41:80',
      '--json',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.paths).toHaveLength(2);
    const [first] = json.paths;
    expect(first.probability).toBe(0.5);
    expect(first.events[0]).toEqual({
      table: 'nat',
      chain: 'PREROUTING',
      kind: 'rule',
      rule: 1,
      verdict: 'JUMP:KUBE-SERVICES',
      leg: 0,
    });
    // Falling off KUBE-MARK-MASQ is an implicit return: the kernel prints nothing for it, nor does the contract.
    expect(
      first.events.filter((e: { chain: string }) => e.chain === 'KUBE-MARK-MASQ').map((e: { kind: string }) => e.kind),
    ).toEqual(['rule']);
    expect(first.final).toMatchObject({ verdict: 'ACCEPT', dst: '10.244.0.5', dport: 80, masqueraded: true });
    expect(json.paths.reduce((a: number, p: { probability: number }) => a + p.probability, 0)).toBe(1);
  });

  it('prints the walk readably', async () => {
    const { code, out } = await run([
      'trace',
      FIXTURE,
      '--from',
      'pod',
      '--src',
      '10.244.0.5:40000',
      '--dst',
      '172.30.0.41:80',
    ]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/path 1 of 2: probability 50%/);
    expect(text).toMatch(/nat:KUBE-SEP-SXIVWICOYRO3J4NJ:1 +JUMP:KUBE-MARK-MASQ/);
    expect(text).toMatch(
      /→ ACCEPT: sent out of cni0; packet 10\.244\.0\.1:40000 → 10\.244\.0\.5:80 \(source masqueraded\)/,
    );
  });

  it('rejects a bad address with a usage error', async () => {
    const { code, err } = await run(['trace', FIXTURE, '--from', 'external', '--src', 'nope', '--dst', '1.2.3.4:80']);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--src must be IP:PORT/);
  });
});

describe('chainwalk parse', () => {
  it('summarises tables, chains, rules and the Services named in comments', async () => {
    const { code, out } = await run(['parse', FIXTURE]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/1 tables, 11 chains, 16 rules/);
    expect(out).toContain('  ns1/svc1:p80');
  });

  it('prints every diagnostic as FILE:LINE:COL: severity: message and exits 1 on errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'bad.rules');
    writeFileSync(file, '*filtre\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j NOPE\n');
    const { code, err } = await run(['parse', file]);
    expect(code).toBe(1);
    expect(err).toContain(
      `${file}:1:2: error: unknown table 'filtre': iptables has raw, mangle, nat, filter and security; its lines are skipped until COMMIT`,
    );
    expect(err.some((l) => l.startsWith(`${file}:5:1: error: jump to NOPE`))).toBe(true);
    expect(err.some((l) => l.startsWith(`${file}:6:1: error: COMMIT expected`))).toBe(true);
  });
});

describe('chainwalk generate', () => {
  it('prints the iptables-save text kube-proxy would write and the diagnostics as FILE:LINE:COL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'svc.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {namespace: ns1, name: svc1}\nspec:\n  clusterIP: 172.30.0.41\n  ports:\n    - {name: p80, port: 80}\n',
    );
    const { code, out, err } = await run([
      'generate',
      file,
      '--cluster-cidr',
      '10.0.0.0/8',
      '--example-endpoints',
      '2',
    ]);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(
      '-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    );
    expect(err[0]).toMatch(
      new RegExp(`^${file}:1:1: info: Service ns1/svc1 has no endpoints; using 2 example endpoint`),
    );
  });

  it('prints the ip6tables half with --ipv6', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'svc6.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {namespace: ns1, name: svc1}\nspec:\n  clusterIPs: [172.30.0.41, "fd00::41"]\n  ports:\n    - {name: p80, port: 80}\n',
    );
    const { code, out } = await run(['generate', file, '--ipv6']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('-d fd00::41/128 -p tcp -m comment --comment "ns1/svc1:p80 has no endpoints"');
  });

  const NODEPORT_LOCAL =
    'apiVersion: v1\nkind: Service\nmetadata: {namespace: shop, name: web}\nspec:\n  type: NodePort\n  externalTrafficPolicy: Local\n  clusterIP: 10.96.0.80\n  ports:\n    - {name: http, port: 80, nodePort: 30080}\n';
  it.each([
    [
      ['--kube-proxy-version', '1.23'],
      ['-j KUBE-XLB-', '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000'],
      ['KUBE-EXT-'],
    ],
    [['--layout', 'legacy'], ['-j KUBE-XLB-'], ['KUBE-SVL-']],
    [
      ['--kube-proxy-version', 'v1.24.3'],
      ['-j KUBE-SVL-', ':KUBE-MARK-DROP - [0:0]'],
      ['KUBE-XLB-', 'KUBE-PROXY-FIREWALL'],
    ],
    [['--kube-proxy-version', '1.30'], ['KUBE-PROXY-FIREWALL', '-j KUBE-EXT-'], ['KUBE-MARK-DROP']],
    [['--cluster-cidr', '10.32.0.0/12'], ['-s 10.32.0.0/12 -m comment --comment "pod traffic for'], []],
    [['--detect-local-mode', 'NodeCIDR', '--pod-cidr', '10.32.5.0/24'], ['-s 10.32.5.0/24 -m comment'], []],
    [['--detect-local-mode', 'BridgeInterface', '--pod-bridge-interface', 'cbr0'], ['-i cbr0 -m comment'], []],
    [
      ['--detect-local-mode', 'InterfaceNamePrefix', '--pod-interface-name-prefix', 'veth'],
      ['-i veth+ -m comment'],
      [],
    ],
    [
      ['--nodeport-addresses', '192.168.0.0/24', '--node-ip', '192.168.0.7'],
      ['-d 192.168.0.7/32 -m comment --comment "kubernetes service nodeports'],
      ['--dst-type LOCAL -j KUBE-NODEPORTS'],
    ],
    [
      ['--masquerade-all'],
      ['-d 10.96.0.80/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ'],
      [],
    ],
  ])('generate %j', async (flags, present, absent) => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'web.yaml');
    writeFileSync(file, NODEPORT_LOCAL);
    const { code, out, err } = await run([
      'generate',
      file,
      '--example-endpoints',
      '1',
      '--node-name',
      'elsewhere',
      ...flags,
    ]);
    expect(err.filter((l) => l.includes('error'))).toEqual([]);
    expect(code).toBe(0);
    const dump = out.join('\n');
    for (const text of present) expect(dump).toContain(text);
    for (const text of absent) expect(dump).not.toContain(text);
  });

  it.each([
    [['--layout', 'old'], "--layout must be one of current, 1.24, legacy, not 'old'"],
    [['--detect-local-mode', 'NodeCIDR'], '--detect-local-mode NodeCIDR needs --pod-cidr'],
    [
      ['--detect-local-mode', 'Magic'],
      "--detect-local-mode must be ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix, not 'Magic'",
    ],
  ])('generate %j is a usage error', async (flags, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'web.yaml');
    writeFileSync(file, NODEPORT_LOCAL);
    const { code, err } = await run(['generate', file, ...flags]);
    expect(code).toBe(2);
    expect(err[0].split('\n')[0]).toBe(`chainwalk: ${message}`);
  });

  it('prints iptables-save, then ipset save, then ipvsadm-save with --mode ipvs, as one paste', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const file = join(dir, 'svc.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: {namespace: ns1, name: svc1}\nspec:\n  clusterIP: 172.30.0.41\n  ports:\n    - {name: p80, port: 80}\n',
    );
    const { code, out } = await run([
      'generate',
      file,
      '--mode',
      'ipvs',
      '--scheduler',
      'wrr',
      '--example-endpoints',
      '1',
    ]);
    expect(code).toBe(0);
    const text = out.join('\n');
    const at = (s: string) => text.indexOf(s);
    expect(at('*nat')).toBeGreaterThanOrEqual(0);
    expect(at('COMMIT')).toBeLessThan(at('create KUBE-LOOP-BACK hash:ip,port,ip'));
    expect(at('add KUBE-CLUSTER-IP 172.30.0.41,tcp:80')).toBeLessThan(at('-A -t 172.30.0.41:80 -s wrr'));
    expect(text).toContain('-a -t 172.30.0.41:80 -r 10.244.0.10:80 -m -w 1');
  });

  /** What `generate --mode ipvs` prints for fixtures/kernel/kube-ipvs.yaml, written to a file to trace. */
  async function generatedIpvsNode(): Promise<string> {
    const node = join(mkdtempSync(join(tmpdir(), 'chainwalk-')), 'node.dump');
    const generated = await run([
      'generate',
      join(__dirname, '../../fixtures/kernel/kube-ipvs.yaml'),
      '--mode',
      'ipvs',
    ]);
    writeFileSync(node, `${generated.out.join('\n')}\n`);
    return node;
  }

  it('traces what --mode ipvs printed: a pod reaching itself through its service is masqueraded by KUBE-LOOP-BACK', async () => {
    const node = await generatedIpvsNode();
    const args = ['--from', 'pod', '--proto', 'tcp', '--src', '10.244.0.5:40000', '--dst', '10.96.0.10:53'];
    const { code, out } = await run(['trace', node, ...args, '--pod-cidr', '10.244.0.0/24', '--json']);
    expect(code).toBe(0);
    const paths: {
      probability: number;
      final: { src: string; dst: string };
      events: { chain: string; rule: number | null }[];
    }[] = JSON.parse(out.join('')).paths;
    // rr over the two real servers of 10.96.0.10:53: the pod itself and one on another node.
    expect(paths.map((p) => [p.probability, p.final.dst, p.final.src])).toEqual([
      [0.5, '10.244.0.5', '10.244.0.1'],
      [0.5, '10.244.1.7', '10.244.0.5'],
    ]);
    expect(paths[0].events.some((e) => e.chain === 'KUBE-POSTROUTING' && e.rule === 1)).toBe(true);
  });

  it('says that MASQUERADE --random-fully leaves the source port to the kernel', async () => {
    const node = await generatedIpvsNode();
    const args = ['--from', 'local', '--proto', 'tcp', '--src', '192.168.0.2:40000', '--dst', '10.96.0.10:53'];
    const text = await run(['trace', node, ...args, '--pod-cidr', '10.244.0.0/24']);
    expect(text.out.join('\n')).toContain(
      'packet 10.244.0.1:40000 → 10.244.0.5:53 (source masqueraded; the kernel picks its port at random in 1024-65535)',
    );
    const json = await run(['trace', node, ...args, '--pod-cidr', '10.244.0.0/24', '--json']);
    const finals = JSON.parse(json.out.join('')).paths.map((p: { final: object }) => p.final);
    expect(finals).toMatchObject([
      { src: '10.244.0.1', masqueraded: true, sportRandom: { lo: 1024, hi: 65535 } },
      { src: '192.168.0.2', masqueraded: true, sportRandom: { lo: 1024, hi: 65535 } },
    ]);
  });

  it('rejects an unknown --mode and a --scheduler without ipvs', async () => {
    expect((await run(['generate', 'x.yaml', '--mode', 'nft'])).code).toBe(2);
    expect((await run(['generate', 'x.yaml', '--scheduler', 'rr'])).code).toBe(2);
  });
});

describe('chainwalk on an ipvs-mode node', () => {
  const NODE = join(__dirname, '../../fixtures/ipvs/node.dump');
  const args = ['--from', 'pod', '--src', '10.244.0.9:40000', '--dst', '10.96.0.10:80'];

  it('parse summarises each section of a mixed paste', async () => {
    const { code, out } = await run(['parse', NODE]);
    expect(code).toBe(0);
    expect(out).toContain('Sections (kube-proxy ipvs mode):');
    expect(out.some((l) => /lines 81-89 +ipvsadm-save -n +4 virtual services, 5 real servers/.test(l))).toBe(true);
    expect(out.some((l) => /lines 61-80 +ipset save +10 sets, 10 entries/.test(l))).toBe(true);
  });

  it('trace --json carries the IPVS steps beside the kernel events', async () => {
    const { code, out } = await run(['trace', NODE, ...args, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.paths.map((p: { probability: number }) => p.probability)).toEqual([0.5, 0.5]);
    const [first] = json.paths;
    expect(first.ipvs.map((e: { action: string; verdict: string }) => `${e.action}:${e.verdict}`)).toEqual([
      'schedule:ACCEPT',
      'forward:STOLEN',
    ]);
    expect(first.ipvs[1]).toMatchObject({
      realServer: '10.244.0.5:8080',
      dst: '10.244.0.5',
      dport: 8080,
      hook: 'INPUT',
    });
    // `at` counts kernel events: IPVS runs after filter INPUT's policy.
    expect(first.events[first.ipvs[0].at - 1]).toMatchObject({ table: 'filter', chain: 'INPUT', kind: 'policy' });
  });

  it('trace reads several files as one paste and prints the IPVS steps readably', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const text = readFileSync(NODE, 'utf8').split('\n');
    const files = [
      [0, 60],
      [60, 80],
      [80, text.length],
    ].map(([a, b], k) => {
      const f = join(dir, `part${k}`);
      writeFileSync(f, `${text.slice(a, b).join('\n')}\n`);
      return f;
    });
    const { code, out } = await run(['trace', files[0], files[1], files[2], ...args]);
    expect(code).toBe(0);
    const body = out.join('\n');
    expect(body).toMatch(/IPVS ip_vs_in_hook +ACCEPT +schedule \(2 candidates\)/);
    expect(body).toMatch(
      /IPVS ip_vs_in_hook +STOLEN +TCP {2}10\.96\.0\.10:80 → real server 10\.244\.1\.7:8080 \(masq\)/,
    );
    expect(body).toContain('IPVS TCP  10.96.0.10:80 rr → 2 real servers');
  });

  it('a service without endpoints is rejected by IPVS, and the trace says so', async () => {
    const { code, out } = await run([
      'trace',
      NODE,
      '--from',
      'pod',
      '--src',
      '10.244.0.9:40000',
      '--dst',
      '10.96.0.20:80',
    ]);
    expect(code).toBe(0);
    expect(out.at(-1)).toBe(
      '  → REJECT: rejected by IPVS: the virtual service has no real server (ICMP port unreachable); packet 10.244.0.9:40000 → 10.96.0.20:80',
    );
  });

  it('a diagnostic in the second file names that file and its own line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainwalk-'));
    const a = join(dir, 'rules');
    const b = join(dir, 'ipvs');
    writeFileSync(a, '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    writeFileSync(b, '-A -t 10.96.0.10:80 -s rr\n-a -t 10.96.0.99:80 -r 10.244.0.5:8080 -m -w 1\n');
    const { err } = await run(['trace', a, b, ...args]);
    expect(err).toContain(`${b}:2:7: error: real server for tcp 10.96.0.99:80, which no -A line defines (above it)`);
  });
});
