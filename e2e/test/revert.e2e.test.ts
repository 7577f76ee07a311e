import type { Deployment, Service } from '@tollgate/operator/api/k8s';
import { Resources } from '@tollgate/operator/kube/resources';
import { waitFor } from '../src/cluster/processes.js';
import { scenario, type Scenario } from './helpers.js';

describe('deleting a Canary with revertOnDeletion', () => {
  let s: Scenario;

  beforeAll(async () => {
    s = await scenario({
      prefix: 'revert',
      spec: { revertOnDeletion: true },
      before: async (ns, kube) => {
        const svc: Service = {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'podinfo', namespace: ns },
          spec: { selector: { app: 'podinfo' }, ports: [{ name: 'http', port: 9898 }] },
        };
        await kube.create(Resources.services, svc);
      },
    });
  });

  afterAll(async () => {
    await s?.stop();
  });

  it("gives the workload back: the target serves, the user's Service selects it again, generated objects go", async () => {
    const adopted = await s.client.get<Service>(Resources.services, s.ns, 'podinfo');
    expect(adopted.spec.selector).toEqual({ app: 'podinfo-primary' });
    await s.client.delete(Resources.canaries, s.ns, 'podinfo');
    await waitFor('Canary gone', async () => !(await s.client.get(Resources.canaries, s.ns, 'podinfo').catch(() => undefined)), 60_000);
    const target = await s.client.get<Deployment>(Resources.deployments, s.ns, 'podinfo');
    expect(target.spec.replicas).toBe(1);
    expect(target.status?.availableReplicas).toBe(1);
    const apex = await s.client.get<Service>(Resources.services, s.ns, 'podinfo');
    expect(apex.spec.selector).toEqual({ app: 'podinfo' });
    await expect(s.client.get(Resources.virtualServices, s.ns, 'podinfo')).rejects.toMatchObject({ status: 404 });
    await waitFor(
      'primary garbage-collected',
      async () => !(await s.client.get(Resources.deployments, s.ns, 'podinfo-primary').catch(() => undefined)),
      60_000,
    );
  });
});
