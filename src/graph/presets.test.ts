import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave, parseNodeDump } from '../parse';
import { ipvsPresets, packetPresets } from '.';

const load = (name: string) =>
  parseIptablesSave(readFileSync(join(__dirname, '../../fixtures/kernel', name), 'utf8')).ruleset;

describe('packet presets from the dump', () => {
  it('offers each cluster IP from a pod, and each NodePort and LoadBalancer IP from outside', () => {
    const presets = packetPresets(load('kube-lb.rules'), '192.168.0.2');
    const labels = presets.map((p) => p.label);
    expect(labels.some((l) => / cluster IP \d+\.\d+\.\d+\.\d+:\d+\/tcp from a pod$/.test(l))).toBe(true);
    expect(labels.some((l) => / NodePort 192\.168\.0\.2:\d+\/tcp from outside$/.test(l))).toBe(true);
    expect(labels.some((l) => / LoadBalancer IP /.test(l))).toBe(true);
    for (const p of presets) {
      expect(p.packet.origin === 'pod' ? p.label.endsWith('from a pod') : p.label.endsWith('from outside')).toBe(true);
    }
    // Health-check ports are not Services to call.
    expect(labels.some((l) => /health check/.test(l))).toBe(false);
    expect(new Set(presets.map((p) => `${p.packet.dst}:${p.packet.dport}/${p.packet.proto}`)).size).toBe(
      presets.length,
    );
  });

  it('offers nothing for a dump without kube-proxy rules', () => {
    expect(packetPresets(load('host-firewall.rules'), '192.168.0.2')).toEqual([]);
  });
});

describe('presets of an IPVS-mode node', () => {
  it('come from its virtual services, each kind read from kube-proxy’s ipsets', () => {
    const dump = parseNodeDump(readFileSync(join(__dirname, '../../fixtures/samples/ipvs-node.txt'), 'utf8'));
    if (!dump.ipvs) throw new Error('no IPVS table');
    const labels = ipvsPresets(dump.ipvs, dump.ipsets, ['192.168.56.10']).map((p) => p.label);
    expect(labels).toContain('cluster IP 10.96.12.34:80/tcp from a pod (IPVS rr, 3 real servers)');
    expect(labels).toContain('NodePort 192.168.56.10:30080/tcp from outside (IPVS rr, 3 real servers)');
    expect(labels).toContain('LoadBalancer IP 203.0.113.10:80/tcp from outside (IPVS rr, 2 real servers)');
    expect(labels).toContain('cluster IP 10.96.50.5:6379/tcp from a pod (IPVS rr, 0 real servers)');
    expect(labels).toHaveLength(dump.ipvs.services.length);
  });
});
