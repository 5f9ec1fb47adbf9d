import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { alertRulesPath, startPrometheus } from '../src/index.js';

/** Runs promtool (Debian's prometheus package) in infra/prometheus, where the rules and their tests live. */
function promtool(...args: string[]) {
  const result = spawnSync('promtool', args, { cwd: dirname(alertRulesPath()), encoding: 'utf8' });
  if (result.error)
    throw new Error(`promtool could not run (Debian: apt-get install prometheus): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the alert rules (infra/prometheus)', () => {
  it('pass promtool check rules', () => {
    const { status, output } = promtool('check', 'rules', 'alerts.yml');
    expect(output).toContain('SUCCESS: 10 rules found');
    expect(status).toBe(0);
  });

  it('pass their unit tests (promtool test rules alerts.test.yml)', () => {
    const { status, output } = promtool('test', 'rules', 'alerts.test.yml');
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('each have a unit test that expects them to fire', () => {
    const folder = dirname(alertRulesPath());
    const alerts = [...readFileSync(alertRulesPath(), 'utf8').matchAll(/- alert: (\w+)/g)].map((match) => match[1]!);
    const tests = readFileSync(join(folder, 'alerts.test.yml'), 'utf8');
    // An alert is tested when some evaluation expects it with labels (it fires), not only an empty exp_alerts.
    const fired = new Set(
      [...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((match) => match[1]!),
    );
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    expect(alerts.filter((alert) => !fired.has(alert))).toEqual([]);
  });

  it('load into a real Prometheus, which evaluates every one', async () => {
    const prometheus = await startPrometheus({ targets: [] });
    try {
      const response = await fetch(`${prometheus.url}/api/v1/rules?type=alert`);
      const body = (await response.json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
      };
      const rules = body.data.groups.flatMap((group) => group.rules);
      expect(rules.map((rule) => rule.name).sort()).toEqual([
        'OutflowConsumerLagGrowing',
        'OutflowDeadLetters',
        'OutflowOutboxBacklog',
        'OutflowPermanentFailures',
        'OutflowQueueGrowing',
        'OutflowQueueStatsStale',
        'OutflowSendFailureRateHigh',
        'OutflowServiceDown',
        'OutflowSmtpSendSlow',
        'OutflowUncertainEmail',
      ]);
    } finally {
      await prometheus.stop();
    }
  });
});
