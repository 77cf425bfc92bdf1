// Writes fixtures/kernel/kube-ipvs.rules and kube-ipvs.ipset from kube-ipvs.yaml with chainwalk's
// IPVS-mode generator: `npx tsx e2e/kernel/fixtures-gen/ipvs.ts`. The kernel here has no IPVS, so
// `-m ipvs` rules (KUBE-IPVS-OUT-FILTER) cannot load (xt_ipvs needs CONFIG_IP_VS); they are left
// out of the kernel fixture, and src/kube/ipvs-fixture.test.ts checks that this is the only change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFromYaml } from '../../../src/kube';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'kernel');

/** The iptables-save text without the rules that need xt_ipvs. */
export function withoutIpvsMatch(dump: string): string {
  return dump
    .split('\n')
    .filter((line) => !line.includes(' -m ipvs '))
    .join('\n');
}

export function ipvsKernelFixture(yaml: string): { rules: string; ipsets: string } {
  // kube-proxy's default --random-fully, kept: MASQUERADE towards lo then gives a node → VIP
  // connection a new source port (the address stays), which the kernel cases prove.
  const result = generateFromYaml(yaml, { mode: 'ipvs' });
  return { rules: withoutIpvsMatch(result.dump), ipsets: result.ipvs.ipsetSave };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const { rules, ipsets } = ipvsKernelFixture(readFileSync(join(FIXTURES, 'kube-ipvs.yaml'), 'utf8'));
  writeFileSync(join(FIXTURES, 'kube-ipvs.rules'), rules);
  writeFileSync(join(FIXTURES, 'kube-ipvs.ipset'), ipsets);
  console.log('wrote kube-ipvs.rules, kube-ipvs.ipset');
}
