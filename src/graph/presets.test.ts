import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave } from '../parse';
import { packetPresets } from '.';

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
