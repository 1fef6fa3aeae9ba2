// No file in src/ over 300 lines (files of type declarations aside), no function over 80.
import { describe, expect, it } from 'vitest';
import { checkSizes } from './imports.js';
import { readSources } from './sources.js';

describe('the size of src/', () => {
  it('keeps files and functions short', () => {
    const sources = readSources();
    expect(sources.size).toBeGreaterThan(100);
    const violations = [...sources].flatMap(([path, text]) => checkSizes(path, text));
    expect(violations.join('\n')).toBe('');
  });
});
