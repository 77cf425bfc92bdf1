import { describe, expect, it } from 'vitest';
import sampleRules from '../../fixtures/samples/iptables-node.rules?raw';
import type { Packet } from '../model';
import { getRule, parseIptablesSave } from '../parse';
import { nodeContext, simulate } from '../sim';
import { changedFields, explainStep, outcome, ruleComment } from './explain';

const { ruleset } = parseIptablesSave(sampleRules);
const ctx = nodeContext({ nodeIPs: ['192.168.56.10/24'], podCIDR: '10.244.0.0/24' });

/** Every step of every path of a packet through the sample, explained. */
function explained(packet: Packet): string[][] {
  return simulate(ruleset, ctx, packet).paths.map((p) =>
    p.events.map((e) => {
      const text = e.ruleId === null ? undefined : getRule(ruleset, e.ruleId).text;
      if (text !== undefined) expect(text.startsWith(`-A ${e.chain} `)).toBe(true);
      return explainStep(e, text);
    }),
  );
}

const pod: Packet = { origin: 'pod', proto: 'tcp', src: '10.244.0.12', sport: 40000, dst: '10.96.12.34', dport: 80 };

describe('steps in plain words', () => {
  it('names the Service, the random pick and the DNAT of a ClusterIP walk', () => {
    const [first] = explained(pod);
    expect(first).toContain(
      "enters KUBE-SERVICES, kube-proxy's list of every Service's cluster, external and load-balancer IPs",
    );
    expect(first).toContain(
      'matches Service default/web:http: go to its chain KUBE-SVC-CDGGSHYLG3RE2FKL, which picks an endpoint',
    );
    expect(first).toContain('picks endpoint 10.244.0.5:8080 at random (probability 0.333 among the endpoints left)');
    expect(first).toContain(
      'DNAT: the destination becomes 10.244.0.5:8080, an endpoint of default/web:http; conntrack rewrites the replies back',
    );
    expect(first).toContain('the connection is not marked 0x4000: return, its source is left alone');
  });

  it('explains the masquerade mark, its clearing and MASQUERADE on a NodePort from outside', () => {
    const [first] = explained({ ...pod, origin: 'external', src: '192.0.2.10', dst: '192.168.56.10', dport: 30080 });
    expect(first).toContain(
      'jumps to KUBE-MARK-MASQ, which sets mark 0x4000 so KUBE-POSTROUTING will masquerade this connection',
    );
    expect(first).toContain('sets the mark: 0x0 → 0x4000');
    expect(first.some((s) => s.startsWith('clears the masquerade bit (mark 0x4000 → 0x0)'))).toBe(true);
    expect(first.some((s) => /^MASQUERADE: the source becomes 10\.244\.0\.1:\d+/.test(s))).toBe(true);
  });

  it('says why a Service without endpoints is rejected, quoting kube-proxy', () => {
    const [only] = explained({ ...pod, dst: '10.96.50.5', dport: 6379 });
    expect(only).toContain('rejects the packet (the client gets an ICMP error) (“shop/cart:redis has no endpoints”)');
  });

  it('says a load balancer outside its source ranges is dropped by KUBE-PROXY-FIREWALL', () => {
    const [only] = explained({ ...pod, origin: 'external', src: '192.0.2.10', dst: '203.0.113.10', dport: 80 });
    expect(only).toContain(
      "enters KUBE-PROXY-FIREWALL, which drops traffic a load balancer's source ranges do not allow",
    );
    expect(only.some((s) => s.startsWith('drops the packet silently (“shop/frontend:http traffic not accepted'))).toBe(
      true,
    );
  });
});

describe('outcome and changed fields', () => {
  it('says whether the source was masqueraded', () => {
    const result = simulate(ruleset, ctx, { ...pod, src: '10.244.0.5' });
    const ends = result.paths.map(outcome).sort();
    // The sample's kube-proxy masquerades with --random-fully: the kernel picks the port.
    expect(ends[0]).toBe(
      'sent to 10.244.0.5:8080 out of cni0, source masqueraded to 10.244.0.1, port picked at random by the kernel (1024-65535)',
    );
    expect(ends[1]).toBe('sent to 10.244.1.5:8080 out of eth0, source kept');
  });

  it('does not call a source kept when only its port changed (MASQUERADE --random-fully towards lo)', () => {
    // A node process calls the API server's ClusterIP; the endpoint is the node itself.
    const api = simulate(ruleset, ctx, {
      origin: 'local',
      proto: 'tcp',
      src: '192.168.56.10',
      sport: 45000,
      dst: '10.96.0.1',
      dport: 443,
    });
    expect(api.paths.map(outcome)).toEqual([
      'delivered to a process on this node, 192.168.56.10:6443, source masqueraded to 192.168.56.10, port picked at random by the kernel (1024-65535)',
    ]);
  });

  it('lists exactly the fields that differ', () => {
    const h = { src: 'a', sport: 1, dst: 'b', dport: 2, mark: 0, ctmark: 0 };
    expect(changedFields(h, h)).toEqual([]);
    expect(changedFields(h, { ...h, dst: 'c', mark: 0x4000 })).toEqual(['dst', 'mark']);
  });

  it('reads quoted and bare comments', () => {
    expect(ruleComment('-A X -m comment --comment "a \\"b\\" c" -j Y')).toBe('a "b" c');
    expect(ruleComment('-A X -m comment --comment plain -j Y')).toBe('plain');
    expect(ruleComment('-A X -j Y')).toBeUndefined();
  });
});
