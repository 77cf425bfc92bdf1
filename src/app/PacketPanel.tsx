import { type ReactNode, useEffect, useState } from 'react';
import type { Origin, Packet, Protocol, TraceEvent, TracePath } from '../model';
import { useAppStore } from './store';

// The packet to trace, every path it can take, and the steps of the chosen one.

const ORIGINS: { value: Origin; label: string }[] = [
  { value: 'external', label: 'a client outside (uplink)' },
  { value: 'pod', label: 'a pod on this node' },
  { value: 'local', label: 'a process on the node' },
];

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function parseHostPort(text: string): { ip: string; port: number } | null {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([0-9.]+):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[2]) > 65535) return null;
  return { ip: m[1], port: Number(m[2]) };
}

function percent(p: number): string {
  return `${(Math.round(p * 10000) / 100).toString()}%`;
}

function finalLine(path: TracePath): string {
  const f = path.final;
  const to = hostPort(f.dst, f.dport);
  if (f.disposition === 'dropped')
    return f.verdict === 'ACCEPT' ? `accepted, then dropped by routing (${to})` : `dropped (${to})`;
  if (f.disposition === 'rejected') return `rejected (${to})`;
  if (f.disposition === 'error') return `walk stopped: ${path.error ?? 'error'}`;
  if (f.disposition === 'local') return `delivered on this node: ${to}`;
  return `→ ${to} out of ${f.iface}${f.masqueraded ? `, source masqueraded to ${f.src}` : ''}`;
}

/** A step in plain words. */
function describeStep(e: TraceEvent): string {
  if (e.kind === 'policy') return `${e.table} ${e.chain}: no rule decided, the chain's policy ${e.verdict} applies`;
  if (e.implicit) return `end of ${e.chain}: back to the calling chain`;
  const where = `${e.table} ${e.chain} rule ${e.rule}`;
  const v = e.verdict;
  if (v.startsWith('JUMP:')) {
    const to = v.slice(5);
    if (to === 'KUBE-MARK-MASQ')
      return `${where}: jumps to KUBE-MARK-MASQ, which marks the connection so KUBE-POSTROUTING will masquerade it`;
    return `${where}: jumps to ${to}`;
  }
  if (v.startsWith('GOTO:')) return `${where}: goes to ${v.slice(5)} (no return here)`;
  if (v === 'CONTINUE')
    return `${where}: ${e.after.mark !== e.before.mark ? `sets the mark to 0x${e.after.mark.toString(16)}` : 'acts and lets the packet go on'}`;
  if (v === 'RETURN') return `${where}: returns`;
  const notes = e.notes?.join('; ');
  return `${where}: ${v}${notes ? ` — ${notes}` : ''}`;
}

function changed(e: TraceEvent): string | null {
  const parts: string[] = [];
  if (e.before.dst !== e.after.dst || e.before.dport !== e.after.dport)
    parts.push(`destination ${hostPort(e.before.dst, e.before.dport)} → ${hostPort(e.after.dst, e.after.dport)}`);
  if (e.before.src !== e.after.src || e.before.sport !== e.after.sport)
    parts.push(`source ${hostPort(e.before.src, e.before.sport)} → ${hostPort(e.after.src, e.after.sport)}`);
  if (e.before.mark !== e.after.mark)
    parts.push(`mark 0x${e.before.mark.toString(16)} → 0x${e.after.mark.toString(16)}`);
  return parts.length ? parts.join(', ') : null;
}

function PacketForm() {
  const packet = useAppStore((s) => s.packet);
  const setPacket = useAppStore((s) => s.setPacket);
  const [src, setSrc] = useState(hostPort(packet.src, packet.sport));
  const [dst, setDst] = useState(hostPort(packet.dst, packet.dport));
  const s = parseHostPort(src);
  const d = parseHostPort(dst);
  const apply = (change: Partial<Packet>) => setPacket({ ...packet, ...change });
  const presets = useAppStore((st) => st.presets);
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-xs"
      aria-label="packet"
      onSubmit={(event) => {
        event.preventDefault();
        if (s && d) apply({ src: s.ip, sport: s.port, dst: d.ip, dport: d.port });
      }}
    >
      {presets.length > 0 && (
        <label className="flex basis-full flex-col gap-0.5">
          preset from this dump&rsquo;s Services
          <select
            className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-900"
            value=""
            onChange={(event) => {
              const preset = presets[Number(event.target.value)];
              if (preset) setPacket(preset.packet);
            }}
          >
            <option value="">{presets.length} packets to try…</option>
            {presets.map((p, i) => (
              <option key={p.label} value={i}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="flex flex-col gap-0.5">
        from
        <select
          className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-900"
          value={packet.origin}
          onChange={(event) => apply({ origin: event.target.value as Origin })}
        >
          {ORIGINS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col gap-0.5">
        protocol
        <select
          className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-700 dark:bg-slate-900"
          value={packet.proto}
          onChange={(event) => apply({ proto: event.target.value as Protocol })}
        >
          {['tcp', 'udp', 'sctp'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {(
        [
          ['source', src, setSrc, s],
          ['destination', dst, setDst, d],
        ] as const
      ).map(([label, value, set, parsed]) => (
        <TextField key={label} label={label} value={value} valid={parsed !== null} width="w-40" onChange={set} />
      ))}
      <button
        type="submit"
        disabled={!s || !d}
        className="rounded bg-sky-600 px-2 py-1 font-medium text-white disabled:opacity-50"
      >
        Trace
      </button>
    </form>
  );
}

/** A labelled monospace text field that shows when its value is not valid. */
function TextField(props: {
  label: ReactNode;
  value: string;
  valid: boolean;
  width: string;
  onChange: (v: string) => void;
}) {
  return (
    <label className="flex flex-col gap-0.5">
      {props.label}
      <input
        className={`${props.width} rounded border bg-white px-1 py-0.5 font-mono dark:bg-slate-900 ${props.valid ? 'border-slate-300 dark:border-slate-700' : 'border-red-500'}`}
        value={props.value}
        aria-invalid={!props.valid}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </label>
  );
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)(\/\d{1,3})?$/;

/** The node the packet walks through: its IPs on the uplink and its pod CIDR. */
function NodeForm() {
  const context = useAppStore((s) => s.context);
  const setContext = useAppStore((s) => s.setContext);
  const [ips, setIps] = useState((context.nodeIPs ?? ['192.168.0.2']).join(', '));
  const [pods, setPods] = useState(context.podCIDR ?? '10.244.0.0/24');
  const list = ips.split(/[\s,]+/).filter(Boolean);
  const ipsOk = list.length > 0 && list.every((x) => IP.test(x));
  const podsOk = IP.test(pods) && pods.includes('/');
  return (
    <form
      className="flex flex-wrap items-end gap-2 text-xs"
      aria-label="node"
      onSubmit={(event) => {
        event.preventDefault();
        if (ipsOk && podsOk) setContext({ ...context, nodeIPs: list, podCIDR: pods });
      }}
    >
      <TextField
        label={<>node IPs (the first is the uplink&rsquo;s)</>}
        value={ips}
        valid={ipsOk}
        width="w-56"
        onChange={setIps}
      />
      <TextField label={<>this node&rsquo;s pod CIDR</>} value={pods} valid={podsOk} width="w-36" onChange={setPods} />
      <button
        type="submit"
        disabled={!ipsOk || !podsOk}
        className="rounded border border-slate-300 px-2 py-1 font-medium disabled:opacity-50 dark:border-slate-700"
      >
        Set node
      </button>
    </form>
  );
}

export function PacketPanel() {
  const result = useAppStore((s) => s.result);
  const pathIndex = useAppStore((s) => s.pathIndex);
  const setPathIndex = useAppStore((s) => s.setPathIndex);
  const path = result?.paths[pathIndex];
  const packet = useAppStore((s) => s.packet);
  const ruleTexts = useAppStore((s) => s.ruleTexts);
  const context = useAppStore((s) => s.context);
  const step = useAppStore((s) => s.step);
  const setStep = useAppStore((s) => s.setStep);
  const playing = useAppStore((s) => s.playing);
  const setPlaying = useAppStore((s) => s.setPlaying);
  const last = path ? path.events.length - 1 : 0;
  const at = Math.min(step, last);

  // Play: one hop at a time; stop at the end.
  useEffect(() => {
    if (!playing) return;
    if (at >= last) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => setStep(at + 1), 700);
    return () => clearTimeout(timer);
  }, [playing, at, last, setStep, setPlaying]);

  // Space plays or pauses, arrows step — unless the user is typing.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      // A focused button takes space itself.
      if (event.key === ' ' && target?.tagName === 'BUTTON') return;
      if (event.key === 'ArrowRight') setStep(Math.min(at + 1, last));
      else if (event.key === 'ArrowLeft') setStep(Math.max(at - 1, 0));
      else if (event.key === ' ') setPlaying(!playing);
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [at, last, playing, setStep, setPlaying]);

  return (
    <div className="flex flex-col gap-2" data-testid="packet-panel">
      {/* Re-keyed when the packet is replaced (a permalink), so the fields show the new one. */}
      <PacketForm key={`${packet.origin}${packet.src}:${packet.sport}>${packet.dst}:${packet.dport}`} />
      <NodeForm key={JSON.stringify(context)} />
      {result && result.paths.length > 1 && (
        <fieldset className="flex flex-wrap gap-1 text-xs">
          <legend className="mb-1 font-medium">{result.paths.length} paths, chosen at random by the kernel:</legend>
          {result.paths.map((p, i) => (
            <button
              key={p.choices.join('')}
              type="button"
              aria-pressed={i === pathIndex}
              onClick={() => setPathIndex(i)}
              className={`rounded border px-2 py-0.5 ${i === pathIndex ? 'border-amber-500 bg-amber-50 dark:bg-amber-950' : 'border-slate-300 dark:border-slate-700'}`}
            >
              {percent(p.probability)} → {hostPort(p.final.dst, p.final.dport)}
            </button>
          ))}
        </fieldset>
      )}
      {path && (
        <div className="text-xs">
          <p className="font-medium" data-testid="final">
            {percent(path.probability)}: {finalLine(path)}
          </p>
          <div className="mt-1 flex items-center gap-1" role="toolbar" aria-label="steps">
            {(
              [
                ['first step', '«', () => setStep(0), at === 0],
                ['step back', '‹', () => setStep(Math.max(at - 1, 0)), at === 0],
                [
                  playing ? 'pause' : 'play',
                  playing ? 'Pause' : 'Play',
                  () => setPlaying(!playing),
                  at >= last && !playing,
                ],
                ['step forward', '›', () => setStep(Math.min(at + 1, last)), at >= last],
                ['last step', '»', () => setStep(last), at >= last],
              ] as const
            ).map(([label, glyph, onClick, disabled]) => (
              <button
                key={label}
                type="button"
                aria-label={label}
                title={label}
                disabled={disabled}
                onClick={onClick}
                className="rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40 dark:border-slate-700"
              >
                {glyph}
              </button>
            ))}
            <span className="ml-2 text-slate-500" data-testid="step-counter">
              step {at + 1} of {last + 1} · space plays, arrows step
            </span>
          </div>
          <ol className="mt-1 max-h-64 list-decimal overflow-auto pl-5">
            {path.events.map((e, i) => (
              <li
                // biome-ignore lint/suspicious/noArrayIndexKey: steps have no identity beyond their order
                key={i}
                aria-current={i === at ? 'step' : undefined}
                className={`rounded px-1 ${i === at ? 'bg-sky-100 dark:bg-sky-900' : ''} ${e.implicit ? 'text-slate-400' : ''}`}
              >
                <button type="button" className="w-full cursor-pointer text-left" onClick={() => setStep(i)}>
                  <span className="text-slate-500">
                    {e.leg > 0 ? 'lo → ' : ''}
                    {e.hook}
                  </span>{' '}
                  {describeStep(e)}
                  {changed(e) && <span className="ml-1 rounded bg-amber-100 px-1 dark:bg-amber-900">{changed(e)}</span>}
                  {i === at && e.ruleId !== null && ruleTexts[e.ruleId] && (
                    <code
                      className="mt-0.5 block truncate font-mono text-[11px] text-slate-600 dark:text-slate-300"
                      data-testid="step-rule"
                    >
                      line {ruleTexts[e.ruleId].line}: {ruleTexts[e.ruleId].text}
                    </code>
                  )}
                </button>
              </li>
            ))}
          </ol>
          {path.assumptions.length > 0 && (
            <p className="mt-1 text-amber-700 dark:text-amber-300">
              Assumed: {path.assumptions.map((a) => `${a.location}: ${a.what}`).join('; ')}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
