import { signerFromSeed } from '../transport/signing.js';
import { KeyedMemoryStore, memoryBacking, randomSeed, type MemoryBacking } from './KeyedMemoryStore.js';

export { copyBacking, KeyedMemoryStore, memoryBacking, randomSeed, type MemoryBacking, type SignerOf } from './KeyedMemoryStore.js';


/** Keeps nothing on disk (`--memory`); the simulator keeps the backing across simulated crashes. Signs on node:crypto. */
export class MemoryStore<T> extends KeyedMemoryStore<T> {
  /** `isValue`: what an insert may hold, as a store on disk would check it. */
  constructor(member: number, backing: MemoryBacking<T> = memoryBacking(), isValue?: (value: T) => boolean, newSeed: () => Uint8Array = randomSeed) {
    super(member, backing, isValue, newSeed, signerFromSeed);
  }
}
