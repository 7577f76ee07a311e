import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { Canary, ObjectMeta, OwnerReference } from '../src/api/types.js';
import { mergeMetadata, ownedBy } from '../src/kube/ensure.js';
import { flaggerController, ownersAfterTakeover, TakeoverRefused } from '../src/kube/takeover.js';
import { aCanary } from './fakes/world.js';

const ours: OwnerReference = {
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  name: 'web',
  uid: 'uid-ours',
  controller: true,
  blockOwnerDeletion: true,
};
const flagger = (name = 'web', controller = true): OwnerReference => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  name,
  uid: `uid-flagger-${name}`,
  controller,
  blockOwnerDeletion: true,
});
const other: OwnerReference = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'api', uid: 'uid-api', controller: false };
const meta = (...ownerReferences: OwnerReference[]): ObjectMeta => ({ name: 'web-primary', namespace: 'ns', ownerReferences });

function canary(takeover?: string): Canary {
  const c = aCanary();
  c.metadata = {
    name: 'web',
    namespace: 'ns',
    uid: 'uid-ours',
    ...(takeover !== undefined ? { annotations: { [ANNOTATIONS.takeover]: takeover } } : {}),
  };
  return c;
}

describe('ownersAfterTakeover', () => {
  it.each([
    ['no owner at all', meta(), undefined],
    ['a Deployment as controller', meta({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'x', uid: 'u', controller: true }), undefined],
    ['a flagger.app Canary as a non-controller owner only', meta(flagger('web', false)), undefined],
    ['our own controller reference', meta(ours), undefined],
  ])('given %s, then there is nothing to take over', (_what, m, expected) => {
    expect(ownersAfterTakeover(m, canary('web'), ours, 'Deployment web-primary')).toBe(expected);
  });

  it("given Flagger's controller and the annotation naming it, then ours replaces it and every other owner stays in place", () => {
    expect(ownersAfterTakeover(meta(other, flagger()), canary('web'), ours, 'ConfigMap cfg-primary')).toEqual([other, ours]);
  });

  it('given our reference already listed beside Flagger’s controller, then it is listed once', () => {
    const nonController = { ...ours, controller: false };
    expect(ownersAfterTakeover(meta(flagger(), nonController), canary('web'), ours, 'x')).toEqual([ours]);
  });

  it.each([
    ['no annotation', undefined, /scale Flagger to zero, then run `tollgate migrate flagger web -n ns`/],
    ['an empty annotation', '', /scale Flagger to zero/],
    ['an annotation naming another Canary', 'api', /tollgate.dev\/takeover names api, not web/],
  ])("given Flagger's controller and %s, then it is refused naming the object and how to take it over", (_what, annotation, hint) => {
    const act = (): unknown => ownersAfterTakeover(meta(flagger()), canary(annotation), ours, 'Deployment web-primary');
    expect(act).toThrow(TakeoverRefused);
    expect(act).toThrow(
      /^Deployment web-primary is controlled by the flagger.app Canary web: nothing is written while Flagger may run it; /,
    );
    expect(act).toThrow(hint);
  });
});

describe('flaggerController', () => {
  it('given several owners, then only a flagger.app Canary marked controller counts', () => {
    expect(flaggerController(meta(other, ours))).toBeUndefined();
    expect(flaggerController(meta(other, flagger('web')))).toEqual(flagger('web'));
    expect(flaggerController({ name: 'x', ownerReferences: [{ ...flagger(), apiVersion: 'flagger.example/v1' }] })).toBeUndefined();
  });
});

describe('generated objects (mergeMetadata, ownedBy)', () => {
  it('given an object Flagger controls and a Canary taking it over, then it counts as owned and its metadata carries our controller reference', () => {
    const live = meta(flagger());
    expect(ownedBy({ metadata: live }, canary('web'))).toBe(true);
    expect(mergeMetadata(live, canary('web'), { name: 'web-primary', owner: [ours] }).ownerReferences).toEqual([ours]);
  });

  it('given an object Flagger controls and a Canary not taking it over, then it is not owned and writing it is refused', () => {
    const live = meta(flagger());
    expect(ownedBy({ metadata: live }, canary())).toBe(false);
    expect(() => mergeMetadata(live, canary(), { name: 'web-primary', owner: [ours] })).toThrow(TakeoverRefused);
  });

  it("given a user's object with no controller, then it is adopted as before: its owners are left alone", () => {
    const live = meta(other);
    expect(mergeMetadata(live, canary(), { name: 'web', owner: [ours] }).ownerReferences).toEqual([other]);
  });
});
