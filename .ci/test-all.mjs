#!/usr/bin/env node
// `npm test`: lint, unit, kernel and e2e suites in that order, each streamed as it runs, then a table of
// what passed, failed and was skipped in each, and one last line `tests: N passed, N failed, N skipped`.
// Every suite runs even when an earlier one fails; the exit code is non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const reports = mkdtempSync(join(tmpdir(), 'chainwalk-test-'));

/** Runs a command with its output streamed to ours; returns its exit code. */
function run(command, args, env = {}) {
  console.log(`\n\x1b[1m── ${[command, ...args].join(' ')}\x1b[0m`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.error) {
    console.error(`could not start ${command}: ${result.error.message}`);
    return 127;
  }
  return result.status ?? 1;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** A runner that exited non-zero failed, even when its report counts no failed test (a crash, a load error). */
function counted(exitCode, counts, note) {
  if (exitCode !== 0 && counts.failed === 0) {
    return { ...counts, failed: 1, note: note || `exited ${exitCode} without a failed test: see its output above` };
  }
  return { ...counts, note };
}

function skippedNote(titles) {
  if (titles.length === 0) return '';
  const shown = titles.slice(0, 3).join('; ');
  return `skipped: ${shown}${titles.length > 3 ? `; … ${titles.length - 3} more` : ''}`;
}

function vitestSuite(name, command, args) {
  const report = join(reports, `${name}.json`);
  const exitCode = run(command, [...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  const json = readJson(report);
  if (!json) return counted(exitCode, { passed: 0, failed: 0, skipped: 0 }, 'no JSON report written');
  const skippedTitles = json.testResults
    .flatMap((file) => file.assertionResults)
    .filter((test) => test.status !== 'passed' && test.status !== 'failed')
    .map((test) => test.fullName ?? test.title);
  return counted(
    exitCode,
    {
      passed: json.numPassedTests,
      failed: json.numFailedTests,
      skipped: json.numPendingTests + json.numTodoTests,
    },
    skippedNote(skippedTitles),
  );
}

const suites = [
  {
    name: 'lint',
    run() {
      const exitCode = run('npm', ['run', '--silent', 'lint']);
      return { passed: exitCode === 0 ? 1 : 0, failed: exitCode === 0 ? 0 : 1, skipped: 0, note: 'biome + tsc' };
    },
  },
  {
    name: 'unit',
    run: () => vitestSuite('unit', 'npx', ['vitest', 'run']),
  },
  {
    name: 'kernel',
    run() {
      const config = 'e2e/kernel/vitest.config.ts';
      if (!existsSync(join(root, config))) {
        console.log(`\n\x1b[1m── kernel\x1b[0m\nkernel: not present (${config} is missing), counted as a failure`);
        return { passed: 0, failed: 1, skipped: 0, note: `not present: ${config} is missing` };
      }
      return vitestSuite('kernel', 'npm', ['run', '--silent', 'kernel', '--']);
    },
  },
  {
    name: 'e2e',
    run() {
      const report = join(reports, 'e2e.json');
      const exitCode = run('npm', ['run', '--silent', 'e2e', '--', '--reporter=list,json'], {
        PLAYWRIGHT_JSON_OUTPUT_FILE: report,
      });
      const json = readJson(report);
      if (!json?.stats) return counted(exitCode, { passed: 0, failed: 0, skipped: 0 }, 'no JSON report written');
      const { expected, unexpected, flaky, skipped } = json.stats;
      return counted(
        exitCode,
        { passed: expected + flaky, failed: unexpected, skipped },
        flaky ? `${flaky} flaky` : '',
      );
    },
  },
];

const results = [];
for (const suite of suites) {
  const started = performance.now();
  const result = suite.run();
  results.push({ name: suite.name, ...result, seconds: (performance.now() - started) / 1000 });
}
rmSync(reports, { recursive: true, force: true });

const total = (key) => results.reduce((sum, result) => sum + result[key], 0);
const pad = (value, width) => String(value).padStart(width);
console.log('\n\x1b[1m── summary\x1b[0m');
console.log(
  `${'suite'.padEnd(8)} ${pad('passed', 7)} ${pad('failed', 7)} ${pad('skipped', 8)} ${pad('time', 7)}  note`,
);
for (const r of results) {
  const time = `${r.seconds.toFixed(1)}s`;
  console.log(
    `${r.name.padEnd(8)} ${pad(r.passed, 7)} ${pad(r.failed, 7)} ${pad(r.skipped, 8)} ${pad(time, 7)}  ${r.note ?? ''}`,
  );
}
console.log(`tests: ${total('passed')} passed, ${total('failed')} failed, ${total('skipped')} skipped`);
process.exitCode = total('failed') > 0 ? 1 : 0;
