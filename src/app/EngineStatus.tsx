import { sourceNatWord } from '../share';
import type { EngineView } from './store';
import { useAppStore } from './store';

const plural = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;

function rulesetLine({ summary }: EngineView): string {
  if (!summary) return 'Reading the dump…';
  return `${plural(summary.tables, 'table')}, ${plural(summary.chains, 'chain')}, ${plural(summary.rules, 'rule')}`;
}

function traceLine({ trace }: EngineView): string | null {
  if (!trace) return null;
  const { final, probability } = trace.likeliest;
  const share = trace.paths > 1 ? ` (${Math.round(probability * 1000) / 10}% of ${trace.paths} paths)` : '';
  const where =
    final.disposition === 'dropped' || final.disposition === 'rejected'
      ? final.disposition
      : `${final.verdict} → ${final.dst}:${final.dport}`;
  const nat = sourceNatWord(final);
  return `${where}${share}${nat ? `, ${nat}` : ''}`;
}

/** How long the worker took, for the tooltip: "parse 612 ms · trace 240 ms · graph 801 ms". */
function timingsLine({ ms }: EngineView): string | undefined {
  if (!ms) return undefined;
  const parts = (['parse', 'trace', 'graph', 'check'] as const)
    .filter((k) => ms[k] !== undefined)
    .map((k) => `${k} ${Math.round(ms[k] as number).toLocaleString('en-US')} ms`);
  return parts.length ? `In the worker: ${parts.join(' · ')}` : undefined;
}

/** One line on what the engine made of the input, and where the packet goes. */
export function EngineStatus() {
  const engine = useAppStore((s) => s.engine);
  const trace = traceLine(engine);
  return (
    <output
      aria-live="polite"
      data-testid="engine-status"
      className="flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-700 dark:text-slate-300"
    >
      <span data-testid="ruleset-summary" title={timingsLine(engine)}>
        {rulesetLine(engine)}
      </span>
      {engine.mode === 'ipvs' && (
        <span
          data-testid="mode"
          className="rounded bg-teal-100 px-1.5 text-teal-900 dark:bg-teal-900 dark:text-teal-100"
          title="This paste shows kube-proxy in IPVS mode: IPVS does the DNAT to pods, iptables and ipsets mark, filter and masquerade"
        >
          kube-proxy IPVS mode
        </span>
      )}
      {engine.kept && (
        <span className="text-amber-700 dark:text-amber-400">
          {plural(engine.errors, 'error')} in the input: showing the last good dump
        </span>
      )}
      {trace && <span data-testid="trace-summary">Packet: {trace}</span>}
      {engine.graph && (
        <span className="text-slate-500 dark:text-slate-400">
          Graph: {plural(engine.graph.nodes, 'node')}, {plural(engine.graph.edges, 'edge')}
        </span>
      )}
      {engine.status === 'failed' && (
        <span role="alert" className="text-red-700 dark:text-red-400">
          {engine.message}
        </span>
      )}
    </output>
  );
}
