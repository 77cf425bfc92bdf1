// The kernel proof: every case's packets go through the real kernel with the
// dump loaded, and the simulator must print the same events and final packet.
// See /work/shared/design.md "The kernel proof".

import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ruleset, TraceResult } from '../../src/model';
import { DUMPS, type DumpSpec, derivedTopology, type KernelCase } from './cases';
import { compareTrace, explain, formatStep, kernelSteps } from './compare';
import { run } from './exec';
import { KernelNode, type KernelPacket, type KernelTrace } from './kernel-node';
import { cleanupStaleNamespaces, topologySpec } from './netns';
import { commandExists, kernelSupport } from './support';

type Sim = typeof import('../../src/sim');
type Parse = typeof import('../../src/parse');

interface CaseResult {
  dump: string;
  name: string;
  status: 'agreed' | 'disagreed' | 'kernel-only' | 'error';
  sends: number;
  detail?: string;
  /** For repeated sends: how often each simulator path was seen. */
  pathsSeen?: string;
  /** Kernel events compared step by step, and how many of them also by header (PACKET lines). */
  steps?: number;
  headerChecks?: number;
  /** Where the simulator said it had to assume, on the paths the kernel took. */
  assumptions?: string[];
}

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'kernel');
const support = kernelSupport();
const hasIpset = support.ok && commandExists('ipset');
const results: CaseResult[] = [];
let sim: {
  simulate: Sim['simulate'];
  nodeContext: Sim['nodeContext'];
  parse: Parse['parseIptablesSave'];
  parseIpsets: Parse['parseIpsetSave'];
} | null = null;
let simUnavailable = '';

if (!support.ok) {
  console.warn(`kernel proof skipped: ${support.reason}`);
}

beforeAll(async () => {
  if (!support.ok) return;
  const removed = cleanupStaleNamespaces();
  if (removed.length) console.log(`removed stale namespaces: ${removed.join(' ')}`);
  try {
    const s: Sim = await import('../../src/sim');
    const p: Parse = await import('../../src/parse');
    sim = {
      simulate: s.simulate,
      nodeContext: s.nodeContext,
      parse: p.parseIptablesSave,
      parseIpsets: p.parseIpsetSave,
    };
  } catch (e) {
    simUnavailable = `simulator not loadable: ${String(e)}`;
    console.warn(`${simUnavailable}; kernel traces are checked and printed only`);
  }
});

afterAll(() => {
  if (!support.ok) {
    console.log(`kernel proof: 0 run, all skipped (${support.reason})`);
    return;
  }
  const count = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
  const all = DUMPS.reduce((n, d) => n + d.cases.length, 0);
  const lines = [
    `kernel proof: ${results.length} of ${all} cases run, ${results.reduce((n, r) => n + r.sends, 0)} packets sent`,
    `  agreed ${count('agreed')}, disagreed ${count('disagreed')}, kernel-only ${count('kernel-only')}${simUnavailable ? ` (${simUnavailable})` : ''}, errors ${count('error')}, skipped ${all - results.length}`,
  ];
  for (const r of results.filter((x) => x.status === 'disagreed' || x.status === 'error')) {
    lines.push(`  ✗ [${r.dump}] ${r.name}`);
  }
  console.log(lines.join('\n'));
  const report = process.env.CHAINWALK_KERNEL_REPORT ?? join(tmpdir(), 'chainwalk-kernel-report.json');
  writeFileSync(report, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`  report: ${report}`);
});

for (const dump of DUMPS) {
  const missing = support.ok ? dumpNeeds(dump) : null;
  const skip = !support.ok ? support.reason : missing;
  const title = `kernel proof: ${dump.name}${skip ? ` (skipped: ${skip})` : ''}`;
  if (missing) console.warn(`kernel proof of ${dump.name} skipped: ${missing}`);
  describe.skipIf(skip !== null)(title, () => {
    const text = dump.text ?? readFileSync(join(FIXTURES, dump.fixture), 'utf8');
    const ipsetText = dump.ipsets ? readFileSync(join(FIXTURES, dump.ipsets), 'utf8') : null;
    const spec = topologySpec(derivedTopology(dump));
    let node: KernelNode | undefined;
    let ruleset: Ruleset | undefined;
    let nextPort = 20000;

    beforeAll(async () => {
      node = new KernelNode(text, spec, ipsetText);
      await node.setup();
      if (sim) {
        const parsed = sim.parse(text);
        const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length)
          throw new Error(`chainwalk cannot parse ${dump.fixture}: ${errors.map((d) => d.message).join('; ')}`);
        ruleset = parsed.ruleset;
      }
    });

    afterAll(async () => {
      await node?.teardown();
    });

    it(`${dump.fixture} is what iptables-save prints for it${dump.text ? ' (restored unchanged)' : ''}`, async () => {
      if (!node) throw new Error('no node');
      const save = spec.family === 6 ? 'ip6tables-save' : 'iptables-save';
      const { stdout } = await run(['ip', 'netns', 'exec', node.names.node, save]);
      // Comments carry dates; the probe packet has bumped the policy counters.
      const strip = (s: string) =>
        s
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .map((l) => l.replace(/ \[\d+:\d+\]$/, ' [0:0]'))
          .join('\n');
      expect(strip(stdout)).toBe(strip(text));
    });

    it.each(dump.cases)('$name', async (c: KernelCase) => {
      if (!node) throw new Error('no node');
      const packets: KernelPacket[] = Array.from({ length: c.repeat ?? 1 }, () => ({
        origin: c.origin,
        proto: c.proto,
        src: c.src,
        sport: c.sport ?? nextPort++,
        dst: c.dst,
        dport: c.dport,
        mark: c.mark,
      }));
      let traces = await traceCase(node, c, packets, dump.gapMs);
      // xtables-monitor exits with ENOBUFS when it falls behind (a loaded machine): start a new
      // one and send the case again, slower, from fresh source ports (the old tuples now have
      // conntrack entries). A case with a fixed source port cannot be sent again and reports it.
      for (let retry = 0; retry < 2 && node.monitorExited && c.sport === undefined; retry++) {
        console.warn(`[${dump.name}] ${c.name}: the trace monitor exited; restarting it and sending again`);
        await node.restartMonitor();
        traces = await traceCase(
          node,
          c,
          packets.map((p) => ({ ...p, sport: nextPort++ })),
          Math.max(dump.gapMs ?? 3, 15),
        );
      }
      const result = judge(dump, c, traces, ruleset);
      results.push(result);
      if (result.status === 'kernel-only')
        console.log(`[${dump.name}] ${c.name}\n${traces.map(describeKernel).join('\n')}`);
      expect(result.status === 'disagreed' || result.status === 'error' ? result.detail : '').toBe('');
    });
  });
}

/** What a dump needs beyond the suite's tools: nfacct counters need `nfacct` to create them. */
function dumpNeeds(dump: DumpSpec): string | null {
  if (dump.ipsets !== undefined && !hasIpset)
    return '`ipset` not found: its `-m set` rules need the sets restored first (apt install ipset)';
  const text = dump.text ?? readFileSync(join(FIXTURES, dump.fixture), 'utf8');
  if (text.includes('--nfacct-name') && !commandExists('nfacct'))
    return '`nfacct` not found: its rules name nfacct counters, which must exist first (apt install nfacct)';
  return null;
}

async function traceCase(
  node: KernelNode,
  c: KernelCase,
  packets: KernelPacket[],
  gapMs?: number,
): Promise<KernelTrace[]> {
  // A -m recent --set by one packet would change the next one's path: with
  // affinity, reset the lists before every packet.
  if (!c.affinity) {
    await node.setRecent(c.recent ?? {});
    return node.trace(packets, gapMs === undefined ? {} : { gapMs });
  }
  const out: KernelTrace[] = [];
  for (const p of packets) {
    await node.setRecent(c.recent ?? {});
    out.push(...(await node.trace([p])));
  }
  return out;
}

function describeKernel(t: KernelTrace): string {
  const f = t.final;
  return [
    `  sport ${t.packet.sport}: ${kernelSteps(t.events).map(formatStep).join(' → ')}`,
    `    final ${f.verdict} ${f.src}:${f.sport} → ${f.dst}:${f.dport}${t.sendError ? ` (socket: ${t.sendError})` : ''}`,
  ].join('\n');
}

function checkExpect(c: KernelCase, traces: KernelTrace[]): string[] {
  const e = c.expect;
  if (!e) return [];
  const out: string[] = [];
  const dsts = new Set(traces.map((t) => `${t.final.dst}:${t.final.dport}`));
  for (const t of traces) {
    if (e.verdict && t.final.verdict !== e.verdict)
      out.push(`kernel verdict ${t.final.verdict}, case expects ${e.verdict}`);
    if (e.src && t.final.src !== e.src) out.push(`kernel final source ${t.final.src}, case expects ${e.src}`);
    if (e.legs !== undefined && t.legs !== e.legs) out.push(`kernel printed ${t.legs} legs, case expects ${e.legs}`);
    if (typeof e.dst === 'string' && `${t.final.dst}:${t.final.dport}` !== e.dst) {
      out.push(`kernel final destination ${t.final.dst}:${t.final.dport}, case expects ${e.dst}`);
    }
  }
  if (Array.isArray(e.dst)) for (const d of e.dst) if (!dsts.has(d)) out.push(`kernel never sent to ${d}`);
  return [...new Set(out)];
}

function judge(dump: DumpSpec, c: KernelCase, traces: KernelTrace[], ruleset: Ruleset | undefined): CaseResult {
  const base = { dump: dump.name, name: c.name, sends: traces.length };
  const harness = [...new Set(traces.flatMap((t) => t.problems)), ...checkExpect(c, traces)];
  if (harness.length) {
    return {
      ...base,
      status: 'error',
      detail: `kernel side: ${harness.join('; ')}\n${traces.slice(0, 3).map(describeKernel).join('\n')}`,
    };
  }
  if (!sim || !ruleset) return { ...base, status: 'kernel-only', detail: simUnavailable };
  const spec = topologySpec(derivedTopology(dump));
  const ctx = sim.nodeContext({
    // With its prefix, so the simulator knows the uplink subnet's broadcast address.
    nodeIPs: [`${spec.nodeIP}/${spec.uplinkPrefix}`, ...spec.nodeExtraIPs],
    podCIDR: spec.bridge.cidr,
    uplink: 'eth0',
    podIface: spec.bridge.name,
    podIfaceAddress: spec.bridge.address,
    routeLocalnet: true,
    localAddresses: spec.localAddrs,
    recent: c.recent ?? {},
    // The same sets the node namespace restored; no IPVS state (the kernel here has no IPVS).
    ...(dump.ipsets ? { ipsets: sim.parseIpsets(readFileSync(join(FIXTURES, dump.ipsets), 'utf8')).sets } : {}),
    ...dump.ctx,
  });
  const seen = new Map<number, number>();
  let result: TraceResult | undefined;
  for (const t of traces) {
    const { origin, proto, src, sport, dst, dport, mark } = t.packet;
    result = sim.simulate(ruleset, ctx, { origin, proto, src, sport, dst, dport, ...(mark ? { mark } : {}) });
    const cmp = compareTrace(t, result);
    if (cmp.matched === null) {
      return {
        ...base,
        status: 'disagreed',
        detail: `packet ${src}:${sport} → ${dst}:${dport}/${proto} (${origin})\n${explain(t, result, cmp)}`,
      };
    }
    seen.set(cmp.matched, (seen.get(cmp.matched) ?? 0) + 1);
  }
  const paths = result?.paths ?? [];
  const pathsSeen = paths.map((p, i) => `#${i} p=${p.probability.toFixed(3)} seen ${seen.get(i) ?? 0}`).join(', ');
  if ((c.repeat ?? 1) >= 20) {
    // A path of probability ≥ 0.3 goes unseen in 20 sends by chance with
    // probability ≤ 0.7^20 ≈ 8e-4 (the cases' paths are 1/2 or 1/3): a path
    // never seen is one the kernel does not take.
    const missing = paths.map((p, i) => ({ p, i })).filter(({ p, i }) => p.probability >= 0.3 && !seen.has(i));
    if (missing.length) {
      return {
        ...base,
        status: 'disagreed',
        pathsSeen,
        detail: `simulator path(s) never taken by the kernel in ${traces.length} sends: ${missing
          .map(({ p, i }) => `#${i} p=${p.probability} → ${p.final.dst}:${p.final.dport}`)
          .join('; ')} (seen: ${pathsSeen})`,
      };
    }
  }
  const assumptions = [
    ...new Set([...seen.keys()].flatMap((i) => (paths[i]?.assumptions ?? []).map((a) => `${a.location}: ${a.what}`))),
  ];
  return {
    ...base,
    status: 'agreed',
    pathsSeen: paths.length > 1 ? pathsSeen : undefined,
    steps: traces.reduce((n, t) => n + t.events.length, 0),
    headerChecks: traces.reduce((n, t) => n + t.events.filter((e) => e.seen).length, 0),
    assumptions: assumptions.length ? assumptions : undefined,
  };
}
