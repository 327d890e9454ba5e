import { describe, expect, it } from 'vitest';
import { parseBoolean, parseDuration, parseSize } from '../../src/config/index.js';

describe('parseDuration', () => {
  it.each([
    ['300', 300],
    ['0', 0],
    ['45s', 45],
    ['5m', 300],
    ['5 m', 300],
    ['2h', 7200],
    ['2H', 7200],
    [' 10s ', 10],
  ])('%s → %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', 'five', '5 minutes', '1.5h', '-5', '5d', 'm', '5ms'])('%s → undefined', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseSize', () => {
  it.each([
    ['1024', 1024],
    ['512b', 512],
    ['64k', 65536],
    ['10m', 10 * 1024 * 1024],
    ['10M', 10 * 1024 * 1024],
    ['10MB', 10 * 1024 * 1024],
    ['10MiB', 10 * 1024 * 1024],
    ['1g', 1024 ** 3],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'big', '10 megs', '1.5m', '-1', '10t'])('%s → undefined', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });
});

describe('parseBoolean', () => {
  it.each(['true', 'yes', 'on', '1', 'TRUE', 'Yes'])('%s → true', (text) => expect(parseBoolean(text)).toBe(true));
  it.each(['false', 'no', 'off', '0', 'Off'])('%s → false', (text) => expect(parseBoolean(text)).toBe(false));
  it.each(['', 'maybe', '2', 'y'])('%s → undefined', (text) => expect(parseBoolean(text)).toBeUndefined());
});
