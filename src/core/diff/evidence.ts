import { DEFAULT_CONFIG } from '../defaults.js';
import type { Diagnostic } from '../diagnostics.js';
import { plural } from '../plural.js';
import type { Repository } from '../repository.js';
import type { TestOutcome } from '../schemas/eval-results.js';
import { locate } from '../source.js';

export interface EvidenceOptions {
  /** Environment the evals ran in; the record command uses it. */
  environment: string;
  /** `policy.allow_offline` of the base: offline findings become warnings (replay misses stay errors). */
  allowOffline: boolean;
}

const SHOWN = 5;

/**
 * A gate never passes on evidence it did not collect: head tests of the changed prompts that have
 * no recorded answer under `--replay` (`eval-replay-miss`), or whose output assertions no model
 * answered because the offline provider did (`eval-offline`), fail the check, one finding per
 * prompt, at its first such test, with the command that records them. `allow_offline` accepts
 * offline answers, a repository's deliberate choice; a replay miss is a recording that should exist
 * and does not, so it fails whatever the policy.
 */
export function unansweredFindings(head: Repository, results: readonly TestOutcome[], options: EvidenceOptions): Diagnostic[] {
  const replayMiss = new Map<string, TestOutcome[]>();
  const offline = new Map<string, TestOutcome[]>();
  for (const r of results) {
    const into = r.error?.kind === 'replay-miss' ? replayMiss : unansweredOffline(r) ? offline : undefined;
    if (into) into.set(r.prompt, [...(into.get(r.prompt) ?? []), r]);
  }
  const cacheDir = head.config.eval?.cache_dir ?? DEFAULT_CONFIG.eval!.cache_dir!;
  const out: Diagnostic[] = [];
  for (const [code, byPrompt] of [['eval-replay-miss', replayMiss], ['eval-offline', offline]] as const) {
    for (const [prompt, tests] of [...byPrompt].sort(([a], [b]) => a.localeCompare(b))) {
      const entity = head.prompts.get(prompt);
      const index = entity?.data.tests?.findIndex((t) => t.name === tests[0]!.test) ?? -1;
      const names = tests.slice(0, SHOWN).map((t) => JSON.stringify(t.test)).join(', ') + (tests.length > SHOWN ? `, and ${tests.length - SHOWN} more` : '');
      const has = tests.length === 1 ? 'has' : 'have';
      const relaxed = code === 'eval-offline' && options.allowOffline;
      const what = code === 'eval-replay-miss'
        ? `${has} no recorded answer (--replay)`
        : `${has} output assertions no model answered (the offline provider did, so they were skipped)`;
      out.push({
        code, severity: relaxed ? 'warning' : 'error',
        file: tests[0]!.file,
        ...(entity && index >= 0 ? { ...locate(entity.source, ['tests', index]), path: ['tests', index] } : {}),
        message: `${plural(tests.length, 'test')} of prompt "${prompt}" ${what}: ${names}`,
        hint: `${recordHint(prompt, options.environment, cacheDir)}${code === 'eval-offline' && !options.allowOffline ? '; or set "policy.allow_offline: true" on the base branch to accept evals no model answered' : ''}`,
      });
    }
  }
  return out;
}

/** Output assertions were skipped, or a rubric had no grader, because the offline provider answered. */
const unansweredOffline = (r: TestOutcome) => r.assertions.some((a) => a.skipped || a.error_kind === 'grader-offline');

function recordHint(prompt: string, environment: string, cacheDir: string): string {
  const command = `promptops eval --record --provider live --env ${environment} --prompt ${prompt}`;
  // Recordings under the ignored .promptops/ never reach CI: they must live where git keeps them.
  const commit = /^\.promptops(\/|$)/.test(cacheDir.replace(/^\.\//, ''))
    ? `, with eval.cache_dir set to a committed directory (e.g. recordings; now ${cacheDir}), then commit it`
    : `, then commit ${cacheDir.replace(/\/$/, '')}/`;
  return `record the answers with the API keys exported: ${command}${commit}`;
}
