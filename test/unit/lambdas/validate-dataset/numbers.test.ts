import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../../lambdas/shared/random';
import {
  NUMBER_INVALID,
  NUMBER_NON_FINITE,
  NUMBER_OK,
  NumberParser,
} from '../../../../lambdas/validate-dataset/numbers';

function parse(text: string): { value: number; status: number; plain: boolean } {
  const parser = new NumberParser();
  const bytes = new TextEncoder().encode(text);
  const value = parser.parse(bytes, 0, bytes.length);
  return { value, status: parser.status, plain: parser.plain };
}

describe('NumberParser', () => {
  it('gives the same doubles as Number() for generated decimals', () => {
    // Prepare
    const random = new SeededRandom(11);
    const texts = [
      '0',
      '-0',
      '1.',
      '.5',
      '+1',
      '1e5',
      '1E-5',
      '123456789012345678',
      '9007199254740993',
      '1e22',
      '1e23',
    ];
    for (let i = 0; i < 20_000; i++) {
      let digits = '';
      const count = 1 + (random.nextUint32() % 19);
      for (let d = 0; d < count; d++) digits += String(random.nextUint32() % 10);
      const dot = random.nextUint32() % (count + 1);
      let text = `${digits.slice(0, dot) || '0'}.${digits.slice(dot) || '0'}`;
      if (random.next() < 0.3) text += `e${(random.nextUint32() % 80) - 40}`;
      texts.push(random.next() < 0.5 ? `-${text}` : text, String(random.next() * 1e6));
    }

    // Act
    const mismatches = texts.filter((text) => !Object.is(parse(text).value, Number(text)));

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('marks plain decimals, which may be copied verbatim', () => {
    // Act
    const plain = ['12', '-3.25', '007'].map((text) => parse(text).plain);
    const other = ['+1', '1e3', ' 4', '1.', '.5'].map((text) => parse(text).plain);

    // Assess
    expect(plain).toEqual([true, true, true]);
    expect(other).toEqual([false, false, false, false, false]);
  });

  it('accepts surrounding spaces', () => {
    // Act
    const { value, status } = parse('  -2.5\t');

    // Assess
    expect(status).toBe(NUMBER_OK);
    expect(value).toBe(-2.5);
  });

  it('calls NaN, infinities and overflow non-finite', () => {
    // Act
    const statuses = ['NaN', 'nan', 'inf', '-Infinity', 'INF', '1e999', '-1e400'].map(
      (text) => parse(text).status,
    );

    // Assess
    expect(statuses).toEqual(Array(7).fill(NUMBER_NON_FINITE));
  });

  it('rejects text, hex, separators and blanks', () => {
    // Act
    const statuses = ['abc', '0x10', '1_000', '1,5', '', '  ', '-', '1e', '1.2.3', 'infinite'].map(
      (text) => parse(text).status,
    );

    // Assess
    expect(statuses).toEqual(Array(10).fill(NUMBER_INVALID));
  });
});
