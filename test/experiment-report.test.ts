import { describe, expect, it } from 'vitest';
import { run } from './helpers/repo.js';
import { jsonl, spendRepo, type Row } from './helpers/usage.js';

const experiment = (control: string) => `name: tone
feature: greeter
type: a_b_test
status: running
variants:
  - { name: ${control}, weight: 50 }
  - { name: friendly, weight: 50 }
metrics:
  - { name: resolved, kind: binomial }
`;

/** 40 users per variant, one call each; friendly resolves every second call, the control every fourth. */
function rows(control: string): Row[] {
  return Array.from({ length: 80 }, (_, u) => {
    const variant = u % 2 ? 'friendly' : control;
    return { timestamp: '2026-03-02T10:00:00Z', request_id: `r-${u}`, feature: 'greeter', provider: 'acme', model: 'beta', status: 'success', user_id: `user-${u}`, experiment: 'tone', variant, metadata: { resolved: variant === 'friendly' ? u % 4 === 1 : u % 8 === 0 } };
  });
}

describe('experiment report (human output)', () => {
  it('names the control once, in the comparison column, whatever the control is called', async () => {
    for (const control of ['control', 'neutral']) {
      const dir = spendRepo({ 'experiments/tone.yaml': experiment(control), 'usage/a.jsonl': jsonl(rows(control)) });
      const r = await run(['experiment', 'report', 'tone'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/\bcontrol control\b/);
      const header = r.stdout.split('\n')[0]!;
      expect(header).toBe('experiment tone (running) · 80 calls 2026-03-02…2026-03-02');
      expect(r.stdout).toMatch(new RegExp(`^variant\\s+n\\s+rate\\s+95% CI\\s+vs ${control}\\s+lift\\s+p-value`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^${control}\\s+40\\s+50\\.0%\\s+50\\.0%$`, 'm'));
    }
  });
});
