import type { IpvsEvent, TraceEvent, TracePath } from '../model';

// The steps of a path as a person follows them: netfilter's trace events, with IPVS's own steps
// (kept beside them in TracePath.ipvs, since xtables-monitor does not print them) in their place.
// Step i of a path is graph.path[i] on the canvas.

export type PathStep = { kind: 'netfilter'; event: TraceEvent } | { kind: 'ipvs'; event: IpvsEvent };

export function pathSteps(path: TracePath): PathStep[] {
  const ipvs = [...(path.ipvs ?? [])].sort((a, b) => a.at - b.at);
  if (ipvs.length === 0) return path.events.map((event) => ({ kind: 'netfilter', event }));
  const out: PathStep[] = [];
  let k = 0;
  for (let i = 0; i <= path.events.length; i++) {
    while (k < ipvs.length && ipvs[k].at <= i) out.push({ kind: 'ipvs', event: ipvs[k++] });
    if (i < path.events.length) out.push({ kind: 'netfilter', event: path.events[i] });
  }
  return out;
}

/** The IPVS stage's label for a path: the service it scheduled, and among how many real servers. */
export function ipvsLabel(path: TracePath | undefined): string {
  const schedule = path?.ipvs?.find((e) => e.action === 'schedule');
  if (!schedule) return 'IPVS';
  const n = schedule.candidates ?? 0;
  return `IPVS ${schedule.service?.replace(/\s+/g, ' ') ?? ''} ${schedule.scheduler ?? ''} → ${n} real server${n === 1 ? '' : 's'}`;
}
