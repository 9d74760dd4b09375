/** A gene is a byte. */
export type Gene = number;

export function isGene(v: unknown): v is Gene {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
}
