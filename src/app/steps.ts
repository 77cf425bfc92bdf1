import { type PathStep, pathSteps } from '../graph';
import type { TracePath } from '../model';
import { useAppStore } from './store';

// The steps of the path being shown (netfilter's events with IPVS's steps in place), computed once
// per path: the step index everywhere in the page (toolbar, editor, canvas, links) is into these.

const cache = new WeakMap<TracePath, PathStep[]>();

export function stepsOf(path: TracePath): PathStep[] {
  let steps = cache.get(path);
  if (!steps) {
    steps = pathSteps(path);
    cache.set(path, steps);
  }
  return steps;
}

/** The path shown, its steps, and the one at the current step (clamped). */
export function useCurrentStep(): {
  path: TracePath | undefined;
  steps: PathStep[];
  at: number;
  step: PathStep | undefined;
} {
  const path = useAppStore((s) => s.result?.paths[s.pathIndex]);
  const stepIndex = useAppStore((s) => s.step);
  const steps = path ? stepsOf(path) : [];
  const at = Math.min(stepIndex, Math.max(0, steps.length - 1));
  return { path, steps, at, step: steps[at] };
}
