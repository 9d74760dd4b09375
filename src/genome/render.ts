import { createHash } from 'node:crypto';
// toHex lives apart, free of node:crypto, so the browser bundle can take it.
export { toHex } from './hex.js';

/** sha256 hex of the hex rendering. */
export function digest(hex: string): string {
  return createHash('sha256').update(hex).digest('hex');
}
