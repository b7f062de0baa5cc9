import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_ROOT } from './helpers/repo.js';

const workflow = (name: string) => {
  const text = readFileSync(join(EXAMPLE_ROOT, '.github/workflows', name), 'utf8');
  return { text, doc: parse(text) };
};
const steps = (doc: any): any[] => Object.values(doc.jobs).flatMap((job: any) => job.steps);

describe('GitHub workflows', () => {
  it('the PR check runs PR code with a read-only token and no secrets, and hands its report on', () => {
    const { text, doc } = workflow('check.yml');
    expect(Object.keys(doc.on)).toEqual(['pull_request']);
    expect(doc.permissions).toEqual({ contents: 'read' });
    expect(text).not.toMatch(/secrets\./);
    expect(steps(doc).find((s) => s.uses?.startsWith('actions/checkout'))?.with?.['fetch-depth']).toBe(0);
    const ci = steps(doc).find((s) => typeof s.run === 'string' && s.run.includes('dist/cli.js ci'));
    expect(ci.run).toContain('--no-comment');
    expect(ci.run).toContain('--output .promptops/diff/report.json');
    expect(steps(doc).find((s) => s.uses?.startsWith('actions/upload-artifact'))).toMatchObject({ if: 'always()', with: { name: 'promptops-diff', path: '.promptops/diff/report.json' } });
  });

  it('the comment workflow can write PR comments but never checks out or runs PR code', () => {
    const { doc } = workflow('comment.yml');
    expect(doc.on.workflow_run.workflows).toEqual([workflow('check.yml').doc.name]);
    expect(doc.permissions).toEqual({ contents: 'read', actions: 'read', 'pull-requests': 'write' });
    for (const step of steps(doc).filter((s) => s.uses?.startsWith('actions/checkout'))) expect(step.with?.ref).toBeUndefined();
    const download = steps(doc).find((s) => s.uses?.startsWith('actions/download-artifact'));
    expect(download.with).toMatchObject({ name: 'promptops-diff', 'run-id': '${{ github.event.workflow_run.id }}' });
    expect(steps(doc).at(-1).run).toBe('node dist/cli.js comment --from .promptops/diff/report.json');
  });

  it('publishes only from the default branch, one run at a time, with the signing key from a secret', () => {
    const { doc } = workflow('publish.yml');
    expect(doc.on).toEqual({ push: { branches: ['main'] } });
    expect(doc.concurrency['cancel-in-progress']).toBe(false);
    expect(doc.permissions).toEqual({ contents: 'read', 'pull-requests': 'read' });
    const step = steps(doc).find((s) => s.name === 'promptops publish');
    expect(step.run).toMatch(/^node dist\/cli\.js publish --env all/);
    expect(step.env.PROMPTOPS_SIGNING_KEY).toBe('${{ secrets.PROMPTOPS_SIGNING_KEY }}');
  });
});
