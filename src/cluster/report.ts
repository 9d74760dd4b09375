/** What a timed lab run (`--duration`) ends with. */
export interface Report {
  /** Faults injected by the nemesis. */
  faults: number;
  /** Whether every actor held the same genome, nothing pending, within the converge timeout. */
  converged: boolean;
  /** From the heal to convergence (or to giving up), in ms. */
  convergeMs: number;
  /** Sum over actors of the highest own op counter seen during the run. */
  ops: number;
  /** Of those ops, how many some actor lacks at the end. */
  lost: number;
}

/** `--report json`: one line, the last on stdout. */
export const reportJson = (r: Report): string => JSON.stringify({ faults: r.faults, converged: r.converged, convergeMs: r.convergeMs, ops: r.ops, lost: r.lost });

export function reportText(r: Report): string {
  return [
    `faults injected:   ${r.faults}`,
    `converged:         ${r.converged ? `yes, ${(r.convergeMs / 1000).toFixed(1)} s after the heal` : `NO (gave up after ${(r.convergeMs / 1000).toFixed(1)} s)`}`,
    `ops created:       ${r.ops}`,
    `ops lost:          ${r.lost}`,
    r.converged && r.lost === 0 ? 'verdict: PASS' : 'verdict: FAIL',
  ].join('\n');
}
