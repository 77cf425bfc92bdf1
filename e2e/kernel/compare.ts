// Kernel trace vs simulator path. The kernel is the authority: a simulator
// path agrees when its non-implicit events equal the kernel's (leg, table,
// chain, kind, rule position, verdict), in order, and its final packet equals
// what the kernel showed (verdict, destination after DNAT, source after
// SNAT/MASQUERADE, whether the source changed).

import type { TracePath, TraceResult } from '../../src/model';
import type { KernelEvent, KernelTrace } from './kernel-node';

export interface Step {
  leg: number;
  table: string;
  chain: string;
  kind: string;
  rule: number | null;
  verdict: string;
}

export function formatStep(s: Step): string {
  return `${s.leg}:${s.table}:${s.chain}:${s.kind}${s.rule === null ? '' : `:${s.rule}`}:${s.verdict}`;
}

export function kernelSteps(events: KernelEvent[]): Step[] {
  return events.map(({ leg, table, chain, kind, rule, verdict }) => ({ leg, table, chain, kind, rule, verdict }));
}

export function simSteps(path: TracePath): Step[] {
  return path.events
    .filter((e) => !e.implicit)
    .map(({ leg, table, chain, kind, rule, verdict }) => ({ leg, table, chain, kind, rule, verdict }));
}

export interface PathComparison {
  eventsEqual: boolean;
  /** Index of the first differing step, or -1. */
  firstDiff: number;
  finalDiffs: string[];
  /** Headers the kernel showed at base chains that the simulator's events do not carry. */
  headerDiffs: string[];
}

export function comparePath(kernel: KernelTrace, path: TracePath): PathComparison {
  const k = kernelSteps(kernel.events).map(formatStep);
  const s = simSteps(path).map(formatStep);
  let firstDiff = -1;
  for (let i = 0; i < Math.max(k.length, s.length); i++) {
    if (k[i] !== s[i]) {
      firstDiff = i;
      break;
    }
  }
  const finalDiffs: string[] = [];
  const kf = kernel.final;
  const sf = path.final;
  const want = (what: string, kv: unknown, sv: unknown) => {
    if (kv !== sv) finalDiffs.push(`${what}: kernel ${String(kv)}, sim ${String(sv)}`);
  };
  want('verdict', kf.verdict, sf.verdict);
  want('dst', `${kf.dst}:${kf.dport}`, `${sf.dst}:${sf.dport}`);
  want('src', kf.src, sf.src);
  // Where the kernel draws the source port at random (--random-fully…), the simulator says from
  // which range: the kernel's port must lie in it, and the source has changed all the same.
  const random = sf.sportRandom;
  if (!random) want('sport', kf.sport, sf.sport);
  else if (kf.sport < random.lo || kf.sport > random.hi)
    finalDiffs.push(`sport: kernel ${kf.sport}, sim a random port in ${random.lo}-${random.hi}`);
  want('masqueraded', kf.masqueraded, sf.masqueraded);
  return {
    eventsEqual: firstDiff === -1,
    firstDiff,
    finalDiffs,
    headerDiffs: firstDiff === -1 ? headerDiffs(kernel, path) : [],
  };
}

/**
 * At each base chain's first event the kernel showed the header: addresses and
 * ports as the event saw them, and the mark after the event's own rule (MARK
 * acts inside the rule; NAT only when the hook is done).
 */
export function headerDiffs(kernel: KernelTrace, path: TracePath): string[] {
  const sim = path.events.filter((e) => !e.implicit);
  const out: string[] = [];
  kernel.events.forEach((k, i) => {
    const s = sim[i];
    if (!k.seen || !s) return;
    const at = formatStep(k);
    const kh = k.seen;
    if (kh.src !== s.before.src || kh.dst !== s.before.dst || kh.dport !== s.before.dport) {
      out.push(
        `${at}: kernel saw ${kh.src} → ${kh.dst}:${kh.dport}, sim ${s.before.src} → ${s.before.dst}:${s.before.dport}`,
      );
    }
    // After a random source port (only the lo leg comes after POSTROUTING), the kernel's header
    // carries the port conntrack recorded; the simulator's is a representative.
    const sport = path.final.sportRandom && k.leg > 0 ? kernel.final.sport : s.before.sport;
    if (kh.sport !== sport) out.push(`${at}: kernel saw sport ${kh.sport}, sim ${sport}`);
    if (kh.mark !== undefined && kh.mark !== s.after.mark)
      out.push(`${at}: kernel mark 0x${kh.mark.toString(16)}, sim 0x${s.after.mark.toString(16)}`);
  });
  return out;
}

export interface CaseComparison {
  /** Index of the simulator path equal to the kernel's, or null. */
  matched: number | null;
  /** The closest path (longest equal prefix) when none matched. */
  closest: number;
  comparisons: PathComparison[];
}

export function compareTrace(kernel: KernelTrace, result: TraceResult): CaseComparison {
  const comparisons = result.paths.map((p) => comparePath(kernel, p));
  const matched = comparisons.findIndex(
    (c) => c.eventsEqual && c.finalDiffs.length === 0 && c.headerDiffs.length === 0,
  );
  let closest = 0;
  let best = -2;
  comparisons.forEach((c, i) => {
    const score = c.eventsEqual ? Number.MAX_SAFE_INTEGER - c.finalDiffs.length - c.headerDiffs.length : c.firstDiff;
    if (score > best) {
      best = score;
      closest = i;
    }
  });
  return { matched: matched === -1 ? null : matched, closest, comparisons };
}

/** A readable account of a disagreement: both event lists side by side, and the final packets. */
export function explain(kernel: KernelTrace, result: TraceResult, cmp: CaseComparison): string {
  const path = result.paths[cmp.closest];
  const k = kernelSteps(kernel.events).map(formatStep);
  const s = path ? simSteps(path).map(formatStep) : [];
  const c = cmp.comparisons[cmp.closest];
  const out: string[] = [];
  out.push(`sim paths: ${result.paths.length}; closest #${cmp.closest} (p=${path?.probability ?? 0})`);
  const width = Math.max(6, ...k.map((x) => x.length));
  out.push(`  ${'kernel'.padEnd(width)}   sim`);
  for (let i = 0; i < Math.max(k.length, s.length); i++) {
    const mark = k[i] === s[i] ? '  ' : '≠ ';
    out.push(`${mark}${(k[i] ?? '—').padEnd(width)}   ${s[i] ?? '—'}`);
  }
  const kf = kernel.final;
  out.push(
    `kernel final: ${kf.verdict} ${kf.src}:${kf.sport} → ${kf.dst}:${kf.dport}${kf.masqueraded ? ' (source changed)' : ''}${kernel.confirmed ? '' : ' (no conntrack entry: the last PACKET line, before any SNAT)'}`,
  );
  if (path) {
    const sf = path.final;
    out.push(
      `sim final:    ${sf.verdict} ${sf.src}:${sf.sport} → ${sf.dst}:${sf.dport}${sf.masqueraded ? ' (masqueraded)' : ''} [${sf.disposition} ${sf.iface}]`,
    );
  }
  if (c?.finalDiffs.length) out.push(`final differs: ${c.finalDiffs.join('; ')}`);
  if (c?.headerDiffs.length) out.push(`headers differ:\n  ${c.headerDiffs.join('\n  ')}`);
  return out.join('\n');
}
