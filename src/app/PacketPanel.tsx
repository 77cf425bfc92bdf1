import { useEffect } from 'react';
import { KubeOptionsForm, NodeForm, PacketForm } from './PacketForm';
import { FinalCard, PathChooser, StepCard, StepToolbar, Timeline } from './StepView';
import { useCurrentStep } from './steps';
import { useAppStore } from './store';

// The packet to trace, every path it can take, and the steps of the chosen one.

export function PacketPanel() {
  const result = useAppStore((s) => s.result);
  const { path, steps, at, step: current } = useCurrentStep();
  const packet = useAppStore((s) => s.packet);
  const ruleTexts = useAppStore((s) => s.ruleTexts);
  const context = useAppStore((s) => s.context);
  const setStep = useAppStore((s) => s.setStep);
  const playing = useAppStore((s) => s.playing);
  const setPlaying = useAppStore((s) => s.setPlaying);
  const speed = useAppStore((s) => s.speed);
  const yaml = useAppStore((s) => s.input.kind === 'kube-yaml');
  const exampleEndpoints = useAppStore((s) => s.kubeOptions.exampleEndpoints ?? 0);
  const last = Math.max(0, steps.length - 1);

  // Play: one hop at a time; stop at the end.
  useEffect(() => {
    if (!playing) return;
    if (at >= last) {
      setPlaying(false);
      return;
    }
    const timer = setTimeout(() => setStep(at + 1), speed);
    return () => clearTimeout(timer);
  }, [playing, at, last, speed, setStep, setPlaying]);

  // Space plays or pauses, arrows step — unless the user is typing.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.closest('.monaco-editor'))) return;
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
      <PacketForm key={`${packet.origin}${packet.proto}${packet.src}:${packet.sport}>${packet.dst}:${packet.dport}`} />
      <NodeForm key={JSON.stringify(context)} />
      {yaml && (
        <fieldset className="rounded border border-slate-200 p-2 dark:border-slate-800">
          <legend className="px-1 text-xs font-medium">kube-proxy (current layout)</legend>
          <KubeOptionsForm />
          {exampleEndpoints > 0 && (
            <p className="mt-1 text-xs text-amber-700 dark:text-amber-300" data-testid="example-endpoints">
              Services without endpoints get {exampleEndpoints} <strong>example</strong> pod
              {exampleEndpoints > 1 ? 's' : ''} from this node&rsquo;s pod CIDR, so the walk reaches a pod. Paste
              EndpointSlices or Pods to use real ones.
            </p>
          )}
        </fieldset>
      )}
      {result && <PathChooser result={result} />}
      {result && result.paths.length === 0 && (
        <p className="text-xs text-slate-500">No path: {result.notes.join('; ') || 'nothing to trace'}.</p>
      )}
      {path && (
        <>
          <FinalCard path={path} ruleTexts={ruleTexts} />
          <StepToolbar at={at} last={last} />
          {current && (
            <StepCard
              step={current}
              rule={
                current.kind === 'netfilter' && current.event.ruleId !== null
                  ? ruleTexts[current.event.ruleId]
                  : undefined
              }
            />
          )}
          <Timeline steps={steps} at={at} />
          {path.assumptions.length > 0 && (
            <p className="text-xs text-amber-700 dark:text-amber-300">
              Assumed: {path.assumptions.map((a) => `${a.location}: ${a.what}`).join('; ')}
            </p>
          )}
        </>
      )}
    </div>
  );
}
