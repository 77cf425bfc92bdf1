import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRule, parseIptablesSave, parseNodeDump } from '../parse';
import { nodeContext, nodeContextFromDump, simulate } from '.';

// Bad input never breaks anything: mangled real dumps must parse, decode and trace
// without an exception (problems are diagnostics, never throws).

const FIXTURES = ['kube-cluster.rules', 'netfilter-edges.rules', 'docker.rules', 'kube-legacy.rules'].map((f) =>
  readFileSync(join(__dirname, '../../fixtures/kernel', f), 'utf8'),
);
const JUNK = [
  '"',
  '!',
  ' ',
  '\t',
  '-m',
  '-j',
  '--',
  ':',
  '/',
  '[',
  ']',
  '\\',
  '\n',
  '-A',
  'KUBE-SVC-X',
  '0x',
  '999999',
  '::',
  '-g',
  '*nat',
  'COMMIT',
  '-p tcp',
  '--dport',
  '-s',
  ',',
  '\r\n',
];

describe('mangled dumps never throw', () => {
  it('parses, decodes and traces 200 deterministic mutations of real dumps', () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let traced = 0;
    for (let iter = 0; iter < 200; iter++) {
      let text = FIXTURES[rnd(FIXTURES.length)];
      for (let k = 1 + rnd(8); k > 0; k--) {
        const at = rnd(text.length);
        const op = rnd(3);
        if (op === 0) text = text.slice(0, at) + JUNK[rnd(JUNK.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rnd(20));
        else text = text.slice(0, at) + text.slice(rnd(text.length));
      }
      const { ruleset, diagnostics } = parseIptablesSave(text);
      for (const d of diagnostics) expect(d.span.line).toBeGreaterThan(0);
      for (let id = 0; id < ruleset.rules.count; id++) getRule(ruleset, id);
      for (const origin of ['external', 'pod', 'local'] as const) {
        const src = origin === 'local' ? '192.168.0.2' : '10.244.0.5';
        const result = simulate(ruleset, nodeContext(), {
          origin,
          proto: 'tcp',
          src,
          sport: 40000,
          dst: '10.96.0.10',
          dport: 80,
        });
        const sum = result.paths.reduce((a, p) => a + p.probability, 0);
        if (result.paths.length > 0) expect(sum).toBeCloseTo(1, 9);
        traced++;
      }
    }
    expect(traced).toBe(600);
  }, 60_000);
});

describe('mangled node pastes never throw', () => {
  const NODE = readFileSync(join(__dirname, '../../fixtures/ipvs/node.dump'), 'utf8');
  const NODE_JUNK = [
    ...JUNK,
    '-a -t ',
    'Name: X\nType: hash:ip\nMembers:\n',
    'TCP  ',
    '  -> ',
    'create ',
    'add ',
    '[fd00::',
    ',tcp:',
    ' nomatch',
    '-w ',
    '-s sh -b sh-port',
  ];

  it('splits, parses and traces 150 deterministic mutations of an ipvs-mode paste; every span is inside the paste', () => {
    let seed = 777;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let traced = 0;
    for (let iter = 0; iter < 150; iter++) {
      let text = NODE;
      for (let k = 1 + rnd(8); k > 0; k--) {
        const at = rnd(text.length);
        const op = rnd(3);
        if (op === 0) text = text.slice(0, at) + NODE_JUNK[rnd(NODE_JUNK.length)] + text.slice(at);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + rnd(20));
        else text = text.slice(0, at) + text.slice(rnd(text.length));
      }
      const dump = parseNodeDump(text);
      const lines = text.split('\n').length;
      for (const d of dump.diagnostics) {
        expect(d.span.line).toBeGreaterThan(0);
        expect(d.span.line).toBeLessThanOrEqual(lines + 1);
      }
      for (const s of dump.sections) expect(s.lastLine).toBeLessThanOrEqual(lines);
      const ctx = nodeContextFromDump(dump);
      for (const origin of ['external', 'pod', 'local'] as const) {
        const result = simulate(dump.ruleset, ctx, {
          origin,
          proto: 'tcp',
          src: origin === 'local' ? '192.168.0.2' : '10.244.0.9',
          sport: 40000,
          dst: '10.96.0.10',
          dport: 80,
        });
        if (result.paths.length > 0) expect(result.paths.reduce((a, p) => a + p.probability, 0)).toBeCloseTo(1, 9);
        traced++;
      }
    }
    expect(traced).toBe(450);
  }, 60_000);
});
