import { withFloat64Room } from '../../src/lib/buffers/float64Growth';

describe('withFloat64Room', () => {
  it('keeps the array when it has the room', () => {
    const values = new Float64Array(8);
    expect(withFloat64Room(values, 8)).toBe(values);
  });

  it('doubles until the room is there, values kept and the rest zero', () => {
    const values = Float64Array.from([1, 2, 3]);
    const grown = withFloat64Room(values, 13);
    expect(grown.length).toBe(24);
    expect([...grown.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
  });

  it('grows an empty array', () => {
    expect(withFloat64Room(new Float64Array(0), 5).length).toBe(8);
  });
});
