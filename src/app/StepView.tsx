import type { PathStep } from '../graph';
import type { Header, TracePath, TraceResult } from '../model';
import {
  changedFields,
  explainIpvs,
  explainStep,
  type HeaderField,
  hostPort,
  ipsetsOf,
  outcome,
  percent,
} from '../share';
import type { RuleText } from '../worker';
import { useAppStore } from './store';

// The walk of the chosen path: where it ends, the step being shown (its rule in plain words and
// the header before → after), the controls, and the timeline of every step.

const BUTTON = 'rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40 dark:border-slate-700';

/** Paths shown as buttons; a Service with more endpoints gets a list for the rest. */
const PATH_BUTTONS = 12;

/** The kernel's random choices: one button per path, with its probability and where it ends. */
export function PathChooser({ result }: { result: TraceResult }) {
  const pathIndex = useAppStore((s) => s.pathIndex);
  const setPathIndex = useAppStore((s) => s.setPathIndex);
  if (result.paths.length < 2) return null;
  const label = (p: TracePath) => `${percent(p.probability)} → ${hostPort(p.final.dst, p.final.dport)}`;
  const many = result.paths.length > PATH_BUTTONS;
  const buttons = many ? result.paths.slice(0, PATH_BUTTONS - 1) : result.paths;
  return (
    <fieldset className="flex flex-wrap gap-1 text-xs">
      <legend className="mb-1 font-medium">
        {result.paths.length} paths: a <code className="font-mono">statistic</code> rule or IPVS picks one at random.
        Follow:
      </legend>
      {buttons.map((p, i) => (
        <button
          key={p.choices.join('')}
          type="button"
          aria-pressed={i === pathIndex}
          onClick={() => setPathIndex(i)}
          className={`rounded border px-2 py-0.5 ${i === pathIndex ? 'border-amber-500 bg-amber-50 dark:bg-amber-950' : 'border-slate-300 dark:border-slate-700'}`}
        >
          {label(p)}
        </button>
      ))}
      {many && (
        <select
          aria-label="every path"
          className="rounded border border-slate-300 bg-white px-1 dark:border-slate-700 dark:bg-slate-900"
          value={pathIndex}
          onChange={(event) => setPathIndex(Number(event.target.value))}
        >
          {result.paths.map((p, i) => (
            <option key={p.choices.join('')} value={i}>
              path {i + 1}: {label(p)}
            </option>
          ))}
        </select>
      )}
    </fieldset>
  );
}

const ENDS: Record<TracePath['final']['disposition'], string> = {
  local: 'border-emerald-500 bg-emerald-50 dark:bg-emerald-950',
  out: 'border-emerald-500 bg-emerald-50 dark:bg-emerald-950',
  dropped: 'border-red-500 bg-red-50 dark:bg-red-950',
  rejected: 'border-red-500 bg-red-50 dark:bg-red-950',
  error: 'border-red-500 bg-red-50 dark:bg-red-950',
};

/** Where the packet ends: pod or process, or dropped/rejected by which rule; and whether it was masqueraded. */
export function FinalCard({ path, ruleTexts }: { path: TracePath; ruleTexts: Record<number, RuleText> }) {
  const f = path.final;
  const by = f.byRuleId !== null && f.byRuleId !== undefined ? ruleTexts[f.byRuleId] : undefined;
  // Dropped with no rule to name: a chain's DROP policy did it.
  const last = path.events.at(-1);
  const policy = f.disposition === 'dropped' && last?.kind === 'policy' && last.verdict === 'DROP' ? last : undefined;
  return (
    <div className={`rounded border-l-4 px-2 py-1 text-xs ${ENDS[f.disposition]}`}>
      <p className="font-medium" data-testid="final">
        {percent(path.probability)}: {outcome(path)}
      </p>
      {!by && policy && (
        <p className="text-[11px]" data-testid="final-rule">
          by the policy of {policy.table} {policy.chain} ({policy.verdict}): no rule there accepted it
        </p>
      )}
      {by && (f.disposition === 'dropped' || f.disposition === 'rejected') && (
        <code className="block truncate font-mono text-[11px]" data-testid="final-rule" title={by.text}>
          by line {by.line}: {by.text}
        </code>
      )}
    </div>
  );
}

const FIELDS: { field: HeaderField; label: string }[] = [
  { field: 'src', label: 'source' },
  { field: 'sport', label: 'sport' },
  { field: 'dst', label: 'destination' },
  { field: 'dport', label: 'dport' },
  { field: 'mark', label: 'mark' },
  { field: 'ctmark', label: 'connmark' },
];

function show(h: Header, field: HeaderField): string {
  const v = h[field];
  return field === 'mark' || field === 'ctmark' ? `0x${(v as number).toString(16)}` : String(v);
}

/** The step being shown: its rule (or IPVS's action) in plain words and the packet header before → after. */
export function StepCard({ step, rule }: { step: PathStep; rule?: RuleText }) {
  const event = step.event;
  const changed = new Set(changedFields(event.before, event.after));
  const sets = step.kind === 'netfilter' ? ipsetsOf(rule?.text) : [];
  return (
    <div className="rounded border border-slate-200 p-2 text-xs dark:border-slate-800" data-testid="step-card">
      <p className="text-slate-500">
        {event.leg > 0 ? 'lo → ' : ''}
        {step.kind === 'ipvs'
          ? `${event.hook} · IPVS ${step.event.fn} · ${step.event.verdict}`
          : `${event.hook} · ${step.event.table} ${step.event.chain}${step.event.rule !== null ? ` rule ${step.event.rule}` : ` (${step.event.kind})`} · ${step.event.verdict}`}
      </p>
      <p className="font-medium" data-testid="step-explain">
        {step.kind === 'ipvs' ? explainIpvs(step.event) : explainStep(step.event, rule?.text)}
      </p>
      {rule && (
        <code
          className="mt-0.5 block truncate font-mono text-[11px] text-slate-600 dark:text-slate-300"
          data-testid="step-rule"
          title={rule.text}
        >
          line {rule.line}: {rule.text}
        </code>
      )}
      {event.notes && event.notes.length > 0 && (
        <ul className="mt-1 flex flex-wrap gap-1" data-testid="step-notes">
          {event.notes.map((note) => (
            <li key={note} className="rounded bg-slate-100 px-1 font-mono text-[11px] dark:bg-slate-800">
              {note}
            </li>
          ))}
        </ul>
      )}
      {sets.length > 0 && (
        <dl className="mt-1" data-testid="step-ipsets">
          {sets.map((set) => (
            <div key={set.name}>
              <dt className="inline font-mono font-semibold">{set.name}</dt>
              <dd className="inline">: {set.why}</dd>
            </div>
          ))}
        </dl>
      )}
      <table className="mt-1 font-mono text-[11px]" data-testid="step-header">
        <thead>
          <tr className="text-left text-slate-500">
            <th className="pr-3 font-normal">field</th>
            <th className="pr-3 font-normal">before</th>
            <th className="font-normal">after</th>
          </tr>
        </thead>
        <tbody>
          {FIELDS.map(({ field, label }) => (
            <tr
              key={field}
              data-changed={changed.has(field) || undefined}
              className={changed.has(field) ? 'bg-amber-100 dark:bg-amber-900' : ''}
            >
              <td className="pr-3 text-slate-500">{label}</td>
              <td className="pr-3">{show(event.before, field)}</td>
              <td className={changed.has(field) ? 'font-semibold' : ''}>{show(event.after, field)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {event.assumed && event.assumed.length > 0 && (
        <p className="mt-1 text-amber-700 dark:text-amber-300">Assumed: {event.assumed.join('; ')}</p>
      )}
    </div>
  );
}

const SPEEDS = [
  { ms: 1400, label: '0.5×' },
  { ms: 700, label: '1×' },
  { ms: 300, label: '2×' },
];

/** « ‹ Play › » and the speed. */
export function StepToolbar({ at, last }: { at: number; last: number }) {
  const setStep = useAppStore((s) => s.setStep);
  const playing = useAppStore((s) => s.playing);
  const setPlaying = useAppStore((s) => s.setPlaying);
  const speed = useAppStore((s) => s.speed);
  const setSpeed = useAppStore((s) => s.setSpeed);
  const buttons = [
    ['first step', '«', () => setStep(0), at === 0],
    ['step back', '‹', () => setStep(Math.max(at - 1, 0)), at === 0],
    [playing ? 'pause' : 'play', playing ? 'Pause' : 'Play', () => setPlaying(!playing), at >= last && !playing],
    ['step forward', '›', () => setStep(Math.min(at + 1, last)), at >= last],
    ['last step', '»', () => setStep(last), at >= last],
  ] as const;
  return (
    <div className="flex flex-wrap items-center gap-1 text-xs" role="toolbar" aria-label="steps">
      {buttons.map(([label, glyph, onClick, disabled]) => (
        <button
          key={label}
          type="button"
          aria-label={label}
          title={label}
          disabled={disabled}
          onClick={onClick}
          className={BUTTON}
        >
          {glyph}
        </button>
      ))}
      <label className="ml-1 flex items-center gap-1 text-slate-500">
        speed
        <select
          className="rounded border border-slate-300 bg-white px-1 dark:border-slate-700 dark:bg-slate-900"
          value={speed}
          onChange={(event) => setSpeed(Number(event.target.value))}
        >
          {SPEEDS.map((s) => (
            <option key={s.ms} value={s.ms}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <span className="ml-2 text-slate-500" data-testid="step-counter">
        step {at + 1} of {last + 1} · space plays, arrows step
      </span>
    </div>
  );
}

/** Every step of the path; the one shown is marked, and a click shows another. */
export function Timeline({ steps, at }: { steps: PathStep[]; at: number }) {
  const setStep = useAppStore((s) => s.setStep);
  const ruleTexts = useAppStore((s) => s.ruleTexts);
  return (
    <ol className="max-h-56 list-decimal overflow-auto pl-6 text-xs" aria-label="timeline">
      {steps.map((step, i) => {
        const e = step.event;
        const changes = changedFields(e.before, e.after);
        const implicit = step.kind === 'netfilter' && step.event.implicit;
        return (
          <li
            // biome-ignore lint/suspicious/noArrayIndexKey: steps have no identity beyond their order
            key={i}
            aria-current={i === at ? 'step' : undefined}
            className={`rounded px-1 ${i === at ? 'bg-sky-100 dark:bg-sky-900' : ''} ${implicit ? 'text-slate-400' : ''} ${step.kind === 'ipvs' ? 'border-l-2 border-teal-500' : ''}`}
          >
            <button type="button" className="w-full cursor-pointer text-left" onClick={() => setStep(i)}>
              <span className="text-slate-500">
                {e.leg > 0 ? 'lo → ' : ''}
                {e.hook} {step.kind === 'ipvs' ? 'IPVS' : `${step.event.table} ${step.event.chain}`}
              </span>{' '}
              {step.kind === 'ipvs'
                ? explainIpvs(step.event)
                : explainStep(step.event, step.event.ruleId !== null ? ruleTexts[step.event.ruleId]?.text : undefined)}
              {changes.length > 0 && (
                <span className="ml-1 rounded bg-amber-100 px-1 dark:bg-amber-900">{changes.join(', ')} changed</span>
              )}
            </button>
          </li>
        );
      })}
    </ol>
  );
}
