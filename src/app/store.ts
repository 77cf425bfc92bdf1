import { create } from 'zustand';
import { sampleDump } from './sample';

// One store for the page. Components read it through narrow selectors, e.g. useAppStore((s) => s.dumpText).
// Parsing and simulation will happen in a worker (src/worker/); the store only holds what the page renders.
export interface AppState {
  /** The iptables-save text in the editor. */
  dumpText: string;
  setDumpText: (dumpText: string) => void;
}

export const useAppStore = create<AppState>()((set) => ({
  dumpText: sampleDump,
  setDumpText: (dumpText) => set({ dumpText }),
}));
