import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_FLIGHT_PHASES } from '@tollgate/contract/phases';
import { ALL_RULES } from '../src/api/crd/rules.js';

const doc = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/validation.md'), 'utf8');
const rows = doc.split('\n').filter((l) => l.startsWith('| `'));

describe('docs/validation.md', () => {
  it.each(ALL_RULES.map((r) => [r.id, r] as const))(
    'given rule %s, then its row gives the message and the reason the rule data gives',
    (id, rule) => {
      const row = rows.filter((l) => l.startsWith(`| \`${id}\` |`));
      expect(row).toHaveLength(1);
      expect(row[0]).toContain(`| ${rule.message} | ${rule.why} |`);
    },
  );

  it('given the table rows, then each is a rule that exists', () => {
    const ids = rows.map((l) => /^\| `([^`]+)`/.exec(l)![1]);
    expect(ids.sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
  });

  it('given the transition rules section, then it names exactly the phases the rules treat as a release in progress', () => {
    const section = doc.slice(doc.indexOf('## Transition rules'), doc.indexOf('## Checked by the operator only'));
    const named = [...section.matchAll(/`([A-Z][a-zA-Z]+)`/g)].map((m) => m[1]!);
    expect(named.filter((p) => !['Initialized', 'Succeeded', 'Failed'].includes(p))).toEqual([...IN_FLIGHT_PHASES]);
  });
});
