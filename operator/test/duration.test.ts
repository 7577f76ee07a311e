import { DurationError, durationOr, formatDuration, parseDuration } from '../src/api/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h30m15s', 5_415_000],
    ['1.5h', 5_400_000],
    ['2.5s', 2500],
    ['1s500ms', 1500],
    ['1h1h', 7_200_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['  45s  ', 45_000],
  ])('given %p, when parsed, then it is %p ms', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  it.each([
    [''],
    ['   '],
    ['1'],
    ['10'],
    ['s'],
    ['1x'],
    ['1d'],
    ['-1s'],
    ['1m 30s'],
    ['1m30'],
    ['30s!'],
    ['abc'],
    ['1e3s'],
    ['9'.repeat(400) + 'h'],
  ])('given the invalid duration %p, when parsed, then a DurationError names the input', (input) => {
    let caught: unknown;
    try {
      parseDuration(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DurationError);
    expect((caught as DurationError).input).toBe(input);
    expect((caught as DurationError).name).toBe('DurationError');
    expect((caught as DurationError).message).toContain(`"${input}"`);
  });

  it('given a failed parse, when a valid duration is parsed next, then the shared regex state does not leak', () => {
    expect(() => parseDuration('1m30')).toThrow(DurationError);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(() => parseDuration('5s5')).toThrow(DurationError);
    expect(parseDuration('5s')).toBe(5000);
  });
});

describe('durationOr', () => {
  it.each([
    [undefined, 60_000],
    ['', 60_000],
    ['10s', 10_000],
    ['0', 0],
  ])('given %p with a 60s fallback, then it is %p ms', (input, ms) => {
    expect(durationOr(input, 60_000)).toBe(ms);
  });

  it('given an invalid non-empty value, then it throws rather than falling back', () => {
    expect(() => durationOr('soon', 60_000)).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it.each([
    [3_600_000, '1h'],
    [7_200_000, '2h'],
    [5_400_000, '90m'],
    [60_000, '1m'],
    [120_000, '2m'],
    [90_000, '90s'],
    [30_000, '30s'],
    [1000, '1s'],
    [1500, '1500ms'],
    [250, '250ms'],
  ])('given %p ms, then it is formatted as %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([['30s'], ['1m'], ['2h'], ['1500ms'], ['90s']])('given %p, when parsed and formatted, then the value round-trips', (text) => {
    expect(parseDuration(formatDuration(parseDuration(text)))).toBe(parseDuration(text));
  });
});
