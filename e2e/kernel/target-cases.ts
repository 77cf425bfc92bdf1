// target-edges (fixtures/kernel/target-edges.rules): rules whose option values look like options
// (a comment `-j`, a log prefix `--x`), and targets the walk applies as the kernel does.

import type { DumpSpec, KernelCase } from './cases';

const NODE = '192.168.0.2';
const CLIENT = '192.168.0.1';

const toNode = (what: string, dport: number, extra: Partial<KernelCase> = {}): KernelCase => ({
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
  topology: {},
  cases: [
    toNode('a comment -j, then -j CW-DROP: the jump is taken and the packet dropped', 4001, {
      expect: { verdict: 'DROP' },
    }),
    toNode('a comment -g, then -g CW-DROP', 4002, { expect: { verdict: 'DROP' } }),
    toNode('LOG --log-prefix --x continues; a comment --comment, then -j DROP', 4003, { expect: { verdict: 'DROP' } }),
  ],
};
