// Whether two actors agree: what each cell of the match matrix shows, grid or heat map.

/** `na`: not both up (or not seen yet); `eq`: the same genome; `ne`: different genomes. */
export function pairState(a, b) {
  if (a.phase !== 'up' || b.phase !== 'up' || a.digest === null || b.digest === null) return 'na';
  return a.digest === b.digest ? 'eq' : 'ne';
}

export function pairTip(a, b) {
  switch (pairState(a, b)) {
    case 'na':
      return `${a.id} ↔ ${b.id}: not both up (${a.phase}, ${b.phase})`;
    case 'eq':
      return `${a.id} ↔ ${b.id}: identical (${a.digest.slice(0, 8)})`;
    default:
      return `${a.id} ↔ ${b.id}: differ (${a.digest.slice(0, 8)} vs ${b.digest.slice(0, 8)})`;
  }
}
