// target-edges (fixtures/kernel/target-edges.rules, .ipset): rules whose option values look like
// options (a comment `-j`, a log prefix `--x`), and targets the walk applies as the kernel does.
// The kernel's sets live as long as the dump's namespaces, so each SET case has a source address
// of its own: no case sees another's additions.

import type { DumpSpec, KernelCase } from './cases';

const NODE = '192.168.0.2';
const CLIENT = '192.168.0.1';
const POD = '10.244.0.5';

/** A first packet, from the client to the node unless `extra` says otherwise. */
const send = (what: string, dport: number, extra: Partial<KernelCase> = {}): KernelCase => ({
  name: what,
  origin: 'external',
  proto: 'tcp',
  src: CLIENT,
  dst: NODE,
  dport,
  ...extra,
});

export const targetEdges: DumpSpec = {
  name: 'target-edges',
  fixture: 'target-edges.rules',
  ipsets: 'target-edges.ipset',
  topology: {},
  cases: [
    send('a comment -j, then -j CW-DROP: the jump is taken and the packet dropped', 4001, {
      expect: { verdict: 'DROP' },
    }),
    send('a comment -g, then -g CW-DROP', 4002, { expect: { verdict: 'DROP' } }),
    send('LOG --log-prefix --x continues; a comment --comment, then -j DROP', 4003, { expect: { verdict: 'DROP' } }),
    send('CONNMARK --save-mark --left-shift-mark 8, --restore-mark --right-shift-mark 12', 4101),
    send('CONNMARK --set-xmark with --left-shift-mark 4 shifts the result; --restore-mark --right-shift-mark 4', 4102),
    send('NETMAP in PREROUTING maps 198.18.0.7 onto 10.244.1.0/24; the DNAT after it is not reached', 4401, {
      dst: '198.18.0.7',
      expect: { dst: '10.244.1.7:4401' },
    }),
    send('NETMAP in nat INPUT maps the source 192.168.0.1 onto 172.31.0.0/16', 4402, {
      expect: { src: '172.31.0.1' },
    }),
    send('NETMAP in OUTPUT maps 198.18.1.9 onto 10.244.2.0/24, and the packet is routed again', 4403, {
      origin: 'local',
      src: NODE,
      dst: '198.18.1.9',
      expect: { dst: '10.244.2.9:4403' },
    }),
    send('NETMAP in POSTROUTING maps the pod source onto 100.64.0.0/24', 4404, {
      origin: 'pod',
      proto: 'udp',
      src: POD,
      dst: '8.8.8.8',
      expect: { src: '100.64.0.5' },
    }),
    send('SET --add-set in raw: mangle and filter -m set see the source at once (DROP)', 4301, {
      src: '192.168.0.30',
      expect: { verdict: 'DROP' },
    }),
    send('SET --add-set src,dst --exist --timeout: the ip,port element is there for filter (DROP)', 4302, {
      src: '192.168.0.31',
      expect: { verdict: 'DROP' },
    }),
    send('SET --del-set: the deleted source no longer matches (ACCEPT)', 4303, {
      src: '192.168.0.32',
      expect: { verdict: 'ACCEPT' },
    }),
    send('SET --map-set --map-mark: the entry’s skbmark 0x42/0xff is mapped onto mark 0x100', 4304, {
      src: '192.168.0.33',
    }),
    send('SET --add-set with fewer flags than the set has dimensions adds nothing (ACCEPT)', 4305, {
      src: '192.168.0.34',
      expect: { verdict: 'ACCEPT' },
    }),
  ],
};
