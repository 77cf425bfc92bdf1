import type { Packet, TraceResult } from '../model';
import { hostPort, outcome } from './explain';

// A trace as Markdown, to paste into a ticket: the packet, every path with its probability,
// and the chosen path's kernel events with the rules that matched.

export interface RuleLine {
  line: number;
  text: string;
}

/** Backticks in a rule would end the code span: use a longer fence. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replace(/\|/g, '\\|')}${fence}`;
}

export function traceToMarkdown(
  packet: Packet,
  result: TraceResult,
  chosen: number,
  rules: Record<number, RuleLine>,
): string {
  const lines: string[] = [];
  lines.push(
    `**chainwalk trace**: ${packet.proto} ${hostPort(packet.src, packet.sport)} → ${hostPort(packet.dst, packet.dport)}, from ${
      packet.origin === 'external'
        ? 'a client outside'
        : packet.origin === 'pod'
          ? 'a pod on this node'
          : 'a process on the node'
    }`,
    '',
  );
  if (result.paths.length === 0) {
    lines.push(`No path: ${result.notes.join('; ') || 'nothing to trace'}.`);
    return lines.join('\n');
  }
  lines.push('| path | probability | outcome |', '|---|---|---|');
  result.paths.forEach((p, i) => {
    lines.push(`| ${i + 1}${i === chosen ? ' (below)' : ''} | ${(p.probability * 100).toFixed(2)}% | ${outcome(p)} |`);
  });
  const path = result.paths[chosen] ?? result.paths[0];
  lines.push(
    '',
    `Path ${result.paths.indexOf(path) + 1}, as the kernel's trace prints it:`,
    '',
    '| # | hook | table:chain | verdict | rule |',
    '|---|---|---|---|---|',
  );
  let n = 0;
  // IPVS steps are not kernel trace events: unnumbered rows where they happen (TracePath.ipvs).
  const ipvsAt = (i: number) => {
    for (const x of path.ipvs ?? []) {
      if (x.at !== i) continue;
      const what =
        x.action === 'forward'
          ? `${x.service} → ${x.realServer} (${x.forward})`
          : `${x.service ?? ''} ${x.action}`.trim();
      lines.push(`| – | ${x.leg > 0 ? 'lo → ' : ''}${x.hook} | IPVS ${x.fn} | ${x.verdict} | ${code(what)} |`);
    }
  };
  path.events.forEach((e, i) => {
    ipvsAt(i);
    if (e.implicit) return;
    n++;
    const where = `${e.table}:${e.chain}${e.rule !== null ? `:${e.rule}` : ` (${e.kind})`}`;
    const rule = e.ruleId !== null ? rules[e.ruleId] : undefined;
    lines.push(
      `| ${n} | ${e.leg > 0 ? 'lo → ' : ''}${e.hook} | ${where} | ${e.verdict} | ${rule ? `line ${rule.line}: ${code(rule.text)}` : ''} |`,
    );
  });
  ipvsAt(path.events.length);
  if (path.assumptions.length > 0) {
    lines.push('', 'Assumed:', ...path.assumptions.map((a) => `- ${a.location}: ${a.what}`));
  }
  return lines.join('\n');
}
