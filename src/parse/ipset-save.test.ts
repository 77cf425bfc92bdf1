import { describe, expect, it } from 'vitest';
import { parseIpsetSave } from '.';

describe('ipset save', () => {
  it('reads sets and their entries', () => {
    const { sets, diagnostics } = parseIpsetSave(
      'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536\nadd KUBE-CLUSTER-IP 10.96.0.1,tcp:443\nadd KUBE-CLUSTER-IP 10.96.0.10,udp:53\n',
    );
    expect(diagnostics).toEqual([]);
    expect(sets['KUBE-CLUSTER-IP']).toEqual({
      type: 'hash:ip,port',
      entries: ['10.96.0.1,tcp:443', '10.96.0.10,udp:53'],
      family: 4,
    });
  });

  it('reports an add to an undefined set and a stray line with their position', () => {
    const { diagnostics } = parseIpsetSave('add NOPE 1.2.3.4\n  hello\n');
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([
      ['ipset-undefined', 1, 1],
      ['ipset-bad-line', 2, 3],
    ]);
  });
});
