import type { Gene } from './gene.js';

/** Two lowercase hex digits per gene, in list order: `[0, 1, 255]` → `"0001ff"`. */
export function toHex(genes: readonly Gene[]): string {
  let out = '';
  for (const g of genes) out += (g < 16 ? '0' : '') + g.toString(16);
  return out;
}
