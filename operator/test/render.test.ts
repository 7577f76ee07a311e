import { renderQuery, TemplateError, type QueryVars } from '../src/metrics/render.js';

const vars: QueryVars = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'podinfo-svc',
  ingress: 'podinfo-ing',
  route: 'podinfo-route',
  interval: '1m',
  variables: { app: 'frontend', 'max-latency': '0.5', code_class: '5xx' },
};

describe('renderQuery', () => {
  it.each<[string, string]>([
    ['{{ namespace }}', 'test'],
    ['{{namespace}}', 'test'],
    ['{{   target   }}', 'podinfo'],
    ['{{ .target }}', 'podinfo'],
    ['{{- name -}}', 'podinfo'],
    ['{{ service }}', 'podinfo-svc'],
    ['{{ ingress }}', 'podinfo-ing'],
    ['{{ route }}', 'podinfo-route'],
    ['{{ interval }}', '1m'],
    ['{{ variables.app }}', 'frontend'],
    ['{{ variables.max-latency }}', '0.5'],
    ['{{variables.code_class}}', '5xx'],
    ['no placeholder at all', 'no placeholder at all'],
    ['{ namespace }', '{ namespace }'],
  ])('given %p, then it renders as %p', (template, out) => {
    expect(renderQuery(template, vars, 'promql')).toBe(out);
  });

  it('given a full Flagger-style template, then every placeholder is filled and the rest is untouched', () => {
    const template =
      'sum(rate(http_requests_total{namespace="{{ namespace }}", pod=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", app="{{ variables.app }}"}[{{ interval }}]))';
    expect(renderQuery(template, vars, 'promql')).toBe(
      'sum(rate(http_requests_total{namespace="test", pod=~"podinfo-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", app="frontend"}[1m]))',
    );
  });

  it('given the same placeholder twice, then both are filled', () => {
    expect(renderQuery('{{ namespace }}/{{ namespace }}', vars, 'promql')).toBe('test/test');
  });

  it('given a value containing a replacement pattern, then it is inserted literally', () => {
    expect(renderQuery('"x{{ variables.v }}y"', { ...vars, variables: { v: '$&$1' } }, 'promql')).toBe('"x$&$1y"');
  });

  it.each<[string, string]>([
    ['{{ namespce }}', '{{ namespce }}: unknown placeholder'],
    ['{{ Namespace }}', '{{ Namespace }}: unknown placeholder'],
    ['{{ namespace.x }}', '{{ namespace.x }}: unknown placeholder'],
    ['{{ variables }}', '{{ variables }}: name a variable, as in {{ variables.key }}'],
    ['{{ variables.missing }}', '{{ variables.missing }}: templateVariables has no key "missing"'],
  ])('given %p, then a TemplateError says %p', (template, message) => {
    let caught: unknown;
    try {
      renderQuery(`up{a="${template}"}`, vars, 'promql');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateError);
    expect((caught as Error).name).toBe('TemplateError');
    expect((caught as Error).message).toBe(message);
  });

  it('given an error in the second placeholder, then no partially rendered query escapes', () => {
    expect(() => renderQuery('{{ namespace }} {{ nope }}', vars, 'promql')).toThrow(TemplateError);
  });

  // Names inherited from Object.prototype are not placeholders.
  it.each([
    ['{{ constructor }}'],
    ['{{ toString }}'],
    ['{{ __proto__ }}'],
    ['{{ variables.constructor }}'],
    ['{{ variables.hasOwnProperty }}'],
  ])('given the inherited name %p, then it is rejected like any unknown placeholder', (template) => {
    expect(() => renderQuery(template, vars, 'promql')).toThrow(TemplateError);
  });
});

describe('renderQuery: the revisions of a target released in place', () => {
  const inPlace: QueryVars = { ...vars, canaryRevision: 'db-7c9f8', primaryRevision: 'db-5d6b4' };
  it('gives the ControllerRevision names of the new and the stable pods', () => {
    expect(renderQuery('x{controller_revision_hash="{{ canaryRevision }}"} / y{h="{{primaryRevision}}"}', inPlace, 'promql')).toBe(
      'x{controller_revision_hash="db-7c9f8"} / y{h="db-5d6b4"}',
    );
  });
  it.each(['{{ canaryRevision }}', '{{ primaryRevision }}'])('refuses %s for a primary copy, saying where it applies', (t) => {
    expect(() => renderQuery(t, vars, 'promql')).toThrow(
      new TemplateError(`${t}: only set for a target released in place (StatefulSet), whose pods carry controller-revision-hash`),
    );
  });
});
