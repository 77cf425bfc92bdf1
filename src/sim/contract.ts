import type { TraceResult } from '../model';

/** The `--json` shape other tools rely on (README "The trace contract"); extra fields are allowed. */
export interface ContractJson {
  paths: {
    probability: number;
    events: {
      table: string;
      chain: string;
      kind: 'rule' | 'return' | 'policy';
      rule: number | null;
      verdict: string;
    }[];
    final: {
      verdict: string;
      src: string;
      sport: number;
      dst: string;
      dport: number;
      masqueraded: boolean;
      disposition: string;
      iface: string;
    };
    choices: number[];
    error?: string;
    assumptions?: { location: string; what: string }[];
  }[];
  notes: string[];
}

/** The trace as the contract prints it: kernel-visible events only (implicit returns dropped), in kernel order. */
export function toContractJson(result: TraceResult): ContractJson {
  return {
    paths: result.paths.map((p) => ({
      probability: p.probability,
      events: p.events
        .filter((e) => !e.implicit)
        .map((e) => ({ table: e.table, chain: e.chain, kind: e.kind, rule: e.rule, verdict: e.verdict, leg: e.leg })),
      final: {
        verdict: p.final.verdict,
        src: p.final.src,
        sport: p.final.sport,
        dst: p.final.dst,
        dport: p.final.dport,
        masqueraded: p.final.masqueraded,
        disposition: p.final.disposition,
        iface: p.final.iface,
      },
      choices: p.choices,
      ...(p.error ? { error: p.error } : {}),
      ...(p.assumptions.length
        ? { assumptions: p.assumptions.map((a) => ({ location: a.location, what: a.what })) }
        : {}),
    })),
    notes: result.notes,
  };
}
