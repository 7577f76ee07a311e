import { setEnv } from '../src/harness/fixtures.js';
import { istioScenario, type Scenario } from './helpers.js';

describe('operator killed in the middle of a run', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await istioScenario('restart', { stepWeight: 10, maxWeight: 50, interval: '2s' });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it('finishes the run after a SIGKILL and restart, with no step applied twice', async () => {
    const from = s.timeline.phases.length;
    s.timeline.routeWeights.length = 0;
    await setEnv(s.client, s.ns, 'podinfo', { VERSION: 'v2' });
    const deadline = Date.now() + 60_000;
    while (!s.timeline.routeWeights.includes(20) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 2000)));
    await s.operator.kill();
    const killedAt = [...s.timeline.routeWeights];
    await new Promise((r) => setTimeout(r, 5000));
    expect(s.timeline.routeWeights).toEqual(killedAt);
    s.operator.start();
    await s.timeline.waitForPhase('Succeeded', 120_000, from);
    await new Promise((r) => setTimeout(r, 500));
    expect(s.timeline.routeWeights).toEqual([10, 20, 30, 40, 50, 0]);
    const weights = s.timeline.phases
      .slice(from)
      .filter((p) => p.phase === 'Progressing')
      .map((p) => p.weight);
    expect(weights).toEqual([...weights].sort((a, b) => a - b));
  });
});
