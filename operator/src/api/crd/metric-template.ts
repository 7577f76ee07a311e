import { arrayOf, bool, conditions, crd, mapOf, obj, rootSchema, type Schema, str } from './schema.js';

const METRIC_PROVIDER_TYPES = [
  'prometheus',
  'influxdb',
  'datadog',
  'externalmetrics',
  'stackdriver',
  'cloudwatch',
  'newrelic',
  'graphite',
  'dynatrace',
  'keptn',
  'splunk',
  'web',
] as const;

const spec = (): Schema =>
  obj(
    {
      provider: obj(
        {
          type: str('Backend that answers the query', { enum: [...METRIC_PROVIDER_TYPES] }),
          address: str('API address; the operator default for prometheus when empty'),
          headers: mapOf(arrayOf(str()), 'Extra HTTP headers'),
          secretRef: obj({ name: str(undefined, { minLength: 1 }) }, { required: ['name'], description: 'Secret with the credentials' }),
          region: str(),
          insecureSkipVerify: bool(),
        },
        { required: ['type'] },
      ),
      query: str('Query; {{ namespace }}, {{ target }}, {{ interval }}, {{ variables.<key> }} are filled in', { minLength: 1 }),
    },
    { required: ['provider', 'query'] },
  );

export const metricTemplateCrd = (): Schema =>
  crd(
    { kind: 'MetricTemplate', plural: 'metrictemplates', singular: 'metrictemplate', shortNames: ['mt'] },
    rootSchema('A reusable metric query', spec(), obj({ conditions: conditions() })),
    [
      { name: 'Provider', type: 'string', jsonPath: '.spec.provider.type' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  );
