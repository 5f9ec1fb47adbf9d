import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { findRepoRoot } from '../src/index.js';

const grafana = join(findRepoRoot(), 'infra', 'grafana');

describe("Grafana's provisioning (infra/grafana)", () => {
  it('gives every panel of every dashboard a data source that is provisioned, and every dashboard a unique uid', () => {
    const provisioned = readFileSync(join(grafana, 'provisioning', 'datasources', 'outflow.yaml'), 'utf8');
    const uids = new Set([...provisioned.matchAll(/^\s+uid: (\S+)$/gm)].map((match) => match[1]));
    expect(uids).toEqual(new Set(['outflow-prometheus', 'outflow-traces']));
    const dashboards = readdirSync(join(grafana, 'dashboards')).filter((file) => file.endsWith('.json'));
    expect(dashboards.length).toBeGreaterThanOrEqual(1);
    const dashboardUids: string[] = [];
    for (const file of dashboards) {
      const dashboard = JSON.parse(readFileSync(join(grafana, 'dashboards', file), 'utf8')) as {
        uid: string;
        panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ datasource: { uid: string } }> }>;
      };
      dashboardUids.push(dashboard.uid);
      for (const panel of dashboard.panels) {
        expect({ panel: panel.title, uid: uids.has(panel.datasource.uid) }).toEqual({ panel: panel.title, uid: true });
        for (const target of panel.targets) expect(target.datasource.uid).toBe(panel.datasource.uid);
      }
      // A trace panel shows one email's whole path.
      expect(dashboard.panels.some((panel) => panel.datasource.uid === 'outflow-traces')).toBe(true);
    }
    expect(new Set(dashboardUids).size).toBe(dashboardUids.length);
  });
});
