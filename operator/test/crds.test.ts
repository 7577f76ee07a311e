import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { renderCrds } from '../src/cli/crds.js';

const crdDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../crds');
const rendered = renderCrds();

type Json = Record<string, any>;
const parsed: Record<string, Json> = Object.fromEntries(Object.entries(rendered).map(([file, text]) => [file, load(text) as Json]));

describe('renderCrds', () => {
  it('given the CRD sources, then exactly the three committed CRD files are rendered', () => {
    expect(Object.keys(rendered).sort()).toEqual(['alertproviders.yaml', 'canaries.yaml', 'metrictemplates.yaml']);
    expect(
      fs
        .readdirSync(crdDir)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    ).toEqual(Object.keys(rendered).sort());
  });

  it.each(Object.keys(rendered))('given %s, then the committed file matches the generated one (run make crds on drift)', (file) => {
    expect(fs.readFileSync(path.join(crdDir, file), 'utf8')).toBe(rendered[file]);
  });

  it.each(Object.keys(rendered))('given %s, then it starts with the generated-file header', (file) => {
    expect(rendered[file]!.startsWith('# Generated from operator/src/api/crd by `make crds`')).toBe(true);
  });

  it.each<[string, string, string, string]>([
    ['canaries.yaml', 'Canary', 'canaries', 'canary'],
    ['metrictemplates.yaml', 'MetricTemplate', 'metrictemplates', 'metrictemplate'],
    ['alertproviders.yaml', 'AlertProvider', 'alertproviders', 'alertprovider'],
  ])('given %s, then it is a namespaced %s CRD in the tollgate.dev group', (file, kind, plural, singular) => {
    const crd = parsed[file]!;
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${plural}.tollgate.dev`);
    expect(crd.spec.group).toBe('tollgate.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind, plural, singular, listKind: `${kind}List` });
  });

  it.each(Object.keys(rendered))(
    'given %s, then its one served storage version has the status subresource, printer columns and a structural schema',
    (file) => {
      const versions = parsed[file]!.spec.versions as Json[];
      expect(versions).toHaveLength(1);
      const v = versions[0]!;
      expect(v).toMatchObject({ name: 'v1beta1', served: true, storage: true, subresources: { status: {} } });
      const columns = v.additionalPrinterColumns as Json[];
      expect(columns.length).toBeGreaterThan(0);
      for (const c of columns) {
        expect(typeof c.name).toBe('string');
        expect(['string', 'integer', 'number', 'boolean', 'date']).toContain(c.type);
        expect(c.jsonPath).toMatch(/^\./);
      }
      expect(columns[columns.length - 1]).toEqual({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
      const schema = v.schema.openAPIV3Schema as Json;
      expect(schema.type).toBe('object');
      expect(schema.properties.spec.type).toBe('object');
      expect(schema.required).toContain('spec');
    },
  );

  it('given the Canary CRD, then its printer columns show phase, weight, failed checks and revision', () => {
    const columns = (parsed['canaries.yaml']!.spec.versions[0].additionalPrinterColumns as Json[]).map((c) => `${c.name}=${c.jsonPath}`);
    expect(columns).toEqual(
      expect.arrayContaining([
        'Status=.status.phase',
        'Weight=.status.canaryWeight',
        'FailedChecks=.status.failedChecks',
        'Revision=.status.lastAppliedSpec',
      ]),
    );
  });

  it('given the Canary CRD, then status has conditions as a map list keyed by type', () => {
    const status = parsed['canaries.yaml']!.spec.versions[0].schema.openAPIV3Schema.properties.status as Json;
    expect(status.properties.conditions).toMatchObject({
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
  });

  it('given the rendered YAML, then it uses no anchors or aliases', () => {
    for (const text of Object.values(rendered)) expect(text).not.toMatch(/[&*]id\d+/);
  });
});
