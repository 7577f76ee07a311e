import { affixRegex } from '../../src/meshes/match.js';
import { escapeRegex } from '../../src/util/regex.js';

describe('affixRegex', () => {
  it.each([
    [{ prefix: 'Mozilla/5.0 (' }, false, 'Mozilla/5\\.0 \\(.*'],
    [{ suffix: '.example.com' }, false, '.*\\.example\\.com'],
    [{ prefix: 'a+b' }, true, '^a\\+b.*'],
    [{ suffix: '[x]' }, true, '.*\\[x\\]$'],
    [{ exact: 'x' }, false, undefined],
    [{ regex: '.*' }, true, undefined],
  ])('%j (anchored %s) is %s', (m, anchored, want) => {
    expect(affixRegex(m, anchored)).toBe(want);
  });

  it('matches what the prefix or suffix matches, and nothing more, whatever the characters', () => {
    const text = 'a.b*c?(d)|e[f]{g}^h$i\\j+k';
    for (const [m, yes, no] of [
      [{ prefix: text }, `${text}tail`, `x${text}`],
      [{ suffix: text }, `head${text}`, `${text}x`],
    ] as const) {
      const re = new RegExp(`^(?:${affixRegex(m)!})$`);
      expect([re.test(yes), re.test(no)]).toEqual([true, false]);
    }
    expect(new RegExp(escapeRegex(text)).test(text)).toBe(true);
  });
});
