/**
 * One actor's element values, by counter (a delete's counter holds nothing). Pieces share their
 * actor's column instead of keeping arrays of their own, so splitting, folding and typing move no
 * values. While every value is a small non-negative integer (character codes, genes) the column
 * is a byte array, then a 16-bit one; the first other value turns it into a plain array.
 */
export class ValueColumn<T> {
  #small: Uint8Array | Uint16Array | null;
  #any: T[] | null = null;
  /** One past the highest counter set. */
  #end = 0;

  constructor(capacity = 16) {
    this.#small = new Uint8Array(capacity);
  }

  get(counter: number): T {
    return (this.#any === null ? (this.#small as Uint8Array)[counter] : this.#any[counter]) as T;
  }

  set(counter: number, value: T): void {
    if (counter >= this.#end) this.#end = counter + 1;
    const small = this.#small;
    if (small !== null) {
      // Object.is: -0 and 0.5 are not small integers, whatever their bits.
      if (typeof value === 'number' && Object.is(value, value & (small.BYTES_PER_ELEMENT === 1 ? 0xff : 0xffff))) {
        this.#room(counter)[counter] = value;
        return;
      }
      this.#widen(typeof value === 'number' && Object.is(value, value & 0xffff));
      if (this.#small !== null) return this.set(counter, value);
    }
    const any = this.#any as T[];
    // Filled up to the counter, so that the array stays packed.
    while (any.length < counter) any.push(undefined as T);
    any[counter] = value;
  }

  /**
   * For loading bytes (`values`) into a column that has room for every counter: the bytes it keeps
   * its values in, which loading then copies each piece's into itself, with no call per piece
   * (every counter within then counts as set); null when the column does not keep bytes.
   */
  bytesFor(values: Uint8Array): Uint8Array | null {
    const small = this.#small;
    if (!(values instanceof Uint8Array) || !(small instanceof Uint8Array)) return null;
    this.#end = small.length;
    return small;
  }

  /** `values[from..from + length)` at counters `counter..`: a whole piece at once, when loading. */
  setRun(counter: number, values: ArrayLike<T>, from: number, length: number): void {
    // Bytes fit any small array: copied as they are, natively but for a piece of one.
    const small = this.#small;
    if (small !== null && values instanceof Uint8Array && counter + length <= small.length) {
      if (counter + length > this.#end) this.#end = counter + length;
      if (length === 1) small[counter] = values[from] as number;
      else small.set(values.subarray(from, from + length), counter);
      return;
    }
    for (let j = 0; j < length; j++) this.set(counter + j, values[from + j] as T);
  }

  /** The small array, with room for `counter` (half as much again). */
  #room(counter: number): Uint8Array | Uint16Array {
    const small = this.#small as Uint8Array | Uint16Array;
    if (counter < small.length) return small;
    const grown = small.BYTES_PER_ELEMENT === 1 ? new Uint8Array(counter + (counter >> 1) + 16) : new Uint16Array(counter + (counter >> 1) + 16);
    grown.set(small);
    return (this.#small = grown);
  }

  #widen(to16: boolean): void {
    const small = this.#small as Uint8Array | Uint16Array;
    if (to16 && small.BYTES_PER_ELEMENT === 1) {
      this.#small = Uint16Array.from(small);
      return;
    }
    this.#any = Array.from(small.subarray(0, this.#end)) as T[];
    this.#small = null;
  }
}
