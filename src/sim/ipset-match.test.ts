// `-m set` as ip_set_test (net/netfilter/ipset/ip_set_core.c) and xt_set.c answer it; the same
// corners are sent through the kernel by e2e/kernel (dump ipset-edges).
import { describe, expect, it } from 'vitest';
import type { IpsetState, Packet } from '../model';
import { parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '.';

const SETS: Record<string, IpsetState> = {
  HIPPORT: { type: 'hash:ip,port', entries: ['192.168.0.2,tcp:80', '192.168.0.2,udp:53', '192.168.0.2,tcp:1000-1002'] },
  HIPPORTNET: {
    type: 'hash:ip,port,net',
    entries: ['192.168.0.2,tcp:80,192.168.0.0/24', '192.168.0.2,tcp:80,192.168.0.1 nomatch'],
  },
  HNET: { type: 'hash:net', entries: ['203.0.113.0/24', '203.0.113.128/25 nomatch'] },
  BPORT: { type: 'bitmap:port', entries: ['53', '80'] },
};

/** Whether the one rule `-A INPUT -m set MATCH` matched the packet. */
function matches(match: string, packet: Partial<Packet>): boolean {
  const dump = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set ${match}\nCOMMIT\n`;
  const { ruleset, diagnostics } = parseIptablesSave(dump);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const result = simulate(ruleset, nodeContext({ ipsets: SETS }), {
    origin: 'external',
    proto: 'tcp',
    src: '192.168.0.1',
    sport: 40000,
    dst: '192.168.0.2',
    dport: 80,
    ...packet,
  });
  return result.paths[0].events.some((e) => e.chain === 'INPUT' && e.kind === 'rule');
}

describe('-m set', () => {
  it.each([
    ['fewer flags than dimensions never match', '--match-set HIPPORT dst', {}, false],
    ['… and so their negation always does', '! --match-set HIPPORT dst', {}, true],
    ['the protocol is part of the port', '--match-set HIPPORT dst,dst', { proto: 'udp', dport: 53 }, true],
    ['tcp does not match a udp: entry', '--match-set HIPPORT dst,dst', { dport: 53 }, false],
    ['a port range entry', '--match-set HIPPORT dst,dst', { dport: 1001 }, true],
    ['dst,src takes the port from the source', '--match-set HIPPORT dst,src', { sport: 80, dport: 9999 }, true],
    ['a more specific nomatch entry decides', '--match-set HIPPORTNET dst,dst,src', {}, false],
    ['the covering entry matches other sources', '--match-set HIPPORTNET dst,dst,src', { src: '192.168.0.7' }, true],
    ['--return-nomatch: a nomatch hit matches', '--match-set HIPPORTNET dst,dst,src --return-nomatch', {}, true],
    [
      '--return-nomatch: a plain hit does not',
      '--match-set HIPPORTNET dst,dst,src --return-nomatch',
      { src: '192.168.0.7' },
      false,
    ],
    ['hash:net nomatch carves a hole', '--match-set HNET src', { src: '203.0.113.200' }, false],
    ['… which a negated match sees', '! --match-set HNET src', { src: '203.0.113.200' }, true],
    ['bitmap:port holds TCP and UDP alike', '--match-set BPORT dst', { proto: 'udp', dport: 80 }, true],
    ['bitmap:port ignores SCTP', '--match-set BPORT dst', { proto: 'sctp', dport: 80 }, false],
  ] as const)('%s', (_what, match, packet, expected) => {
    expect(matches(match, packet)).toBe(expected);
  });
});
