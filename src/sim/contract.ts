import type { IpvsEvent, TraceEvent, TraceResult } from '../model';

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
      /** The kernel picks the source port at random in lo-hi (`sport` is a representative); absent otherwise. */
      sportRandom?: { lo: number; hi: number };
      /** The target that changed the source, when masqueraded. */
      sourceNat?: 'SNAT' | 'MASQUERADE' | 'NETMAP';
      disposition: string;
      iface: string;
    };
    choices: number[];
    error?: string;
    assumptions?: { location: string; what: string }[];
    /** IPVS steps (README "IPVS and ipset events in the trace contract"); only with IPVS state. */
    ipvs?: ContractIpvsEvent[];
  }[];
  notes: string[];
}

/** One IPVS step: not an nf_tables event, so not in `events`; `at` places it among them. */
export interface ContractIpvsEvent {
  at: number;
  hook: string;
  fn: string;
  verdict: 'ACCEPT' | 'STOLEN' | 'DROP';
  action: string;
  service?: string;
  scheduler?: string;
  candidates?: number;
  realServer?: string;
  forward?: string;
  dst: string;
  dport: number;
  notes?: string[];
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
        ...(p.final.sportRandom ? { sportRandom: { lo: p.final.sportRandom.lo, hi: p.final.sportRandom.hi } } : {}),
        ...(p.final.sourceNat ? { sourceNat: p.final.sourceNat } : {}),
        disposition: p.final.disposition,
        iface: p.final.iface,
      },
      choices: p.choices,
      ...(p.error ? { error: p.error } : {}),
      ...(p.assumptions.length
        ? { assumptions: p.assumptions.map((a) => ({ location: a.location, what: a.what })) }
        : {}),
      ...(p.ipvs ? { ipvs: p.ipvs.map((e) => ipvsEventJson(e, kernelIndex(p.events, e.at))) } : {}),
    })),
    notes: result.notes,
  };
}

/** The position among the contract's events (implicit returns dropped) of a model event index. */
function kernelIndex(events: TraceEvent[], at: number): number {
  let n = 0;
  for (let i = 0; i < at && i < events.length; i++) if (!events[i].implicit) n++;
  return n;
}

function ipvsEventJson(e: IpvsEvent, at: number): ContractIpvsEvent {
  return {
    at,
    hook: e.hook,
    fn: e.fn,
    verdict: e.verdict,
    action: e.action,
    ...(e.service !== undefined ? { service: e.service } : {}),
    ...(e.scheduler !== undefined ? { scheduler: e.scheduler } : {}),
    ...(e.candidates !== undefined ? { candidates: e.candidates } : {}),
    ...(e.realServer !== undefined ? { realServer: e.realServer } : {}),
    ...(e.forward !== undefined ? { forward: e.forward } : {}),
    dst: e.after.dst,
    dport: e.after.dport,
    ...(e.notes?.length ? { notes: e.notes } : {}),
  };
}
