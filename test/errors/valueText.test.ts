import { valueText } from '../../src/lib/errors';

describe('valueText: a value as error-message text', () => {
  it('writes primitives as String does', () => {
    expect([valueText('x'), valueText(1.5), valueText(12n), valueText(true), valueText(undefined), valueText(null)]).toEqual([
      'x',
      '1.5',
      '12',
      'true',
      'undefined',
      'null',
    ]);
  });

  it('writes objects as JSON, never [object Object], bigints inside included', () => {
    expect(valueText({ a: 1, b: [2, 'c'] })).toBe('{"a":1,"b":[2,"c"]}');
    expect(valueText({ n: 10n })).toBe('{"n":"10"}');
  });

  it('names what JSON cannot write', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(valueText(cyclic)).toBe('[object Object]');
    expect(valueText(function parse() {})).toBe('[function parse]');
    expect(valueText(Symbol('s'))).toBe('Symbol(s)');
  });
});
