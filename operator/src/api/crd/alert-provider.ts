import { conditions, crd, obj, rootSchema, type Schema, str } from './schema.js';

export const ALERT_PROVIDER_TYPES = ['slack', 'msteams', 'discord', 'rocket', 'gchat', 'webhook'] as const;

const spec = (): Schema =>
  obj(
    {
      type: str('Kind of receiver', { enum: [...ALERT_PROVIDER_TYPES] }),
      channel: str(),
      username: str(),
      address: str('Webhook address; or the address key of secretRef'),
      proxy: str(),
      secretRef: obj({ name: str(undefined, { minLength: 1 }) }, { required: ['name'] }),
      template: str(
        'Alert text; {{ canary }}, {{ namespace }}, {{ phase }}, {{ weight }}, {{ revision }}, {{ reason }}, {{ message }}, ' +
          '{{ metric }}, {{ value }}, {{ threshold }}, {{ cluster }} are filled in',
        { maxLength: 4000 },
      ),
    },
    { required: ['type'] },
  );

export const alertProviderCrd = (): Schema =>
  crd(
    { kind: 'AlertProvider', plural: 'alertproviders', singular: 'alertprovider', shortNames: ['ap'] },
    rootSchema('Where alerts about canaries are sent', spec(), obj({ conditions: conditions() })),
    [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  );
