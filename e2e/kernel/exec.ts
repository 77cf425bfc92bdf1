// Bounded child processes: every spawn has a timeout, and a timed-out child is
// killed (its whole process group), never left behind.

import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
  ) {
    super(
      `${argv.join(' ')} ${result.timedOut ? 'timed out' : `exited ${result.code}`}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

export function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    trackChild(child.pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child.pid ?? -1);
      const result = { code, stdout, stderr, timedOut };
      if ((code !== 0 || timedOut) && !options.allowFailure) reject(new CommandError(argv, result));
      else resolve(result);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Detached children still running: killed by the exit hook if the run is cut short. */
const children = new Set<number>();

/** Remember a detached child so that `killAllChildren` can end it. */
export function trackChild(pid: number | undefined): void {
  if (pid !== undefined) children.add(pid);
}

/** End every child this process started and has not yet reaped (exit hooks). */
export function killAllChildren(): void {
  for (const pid of [...children]) killGroup(pid);
}

/** Kill a detached child and everything it started. */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  children.delete(pid);
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
