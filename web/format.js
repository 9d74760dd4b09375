// How durations, lab times, counts, versions and drop rates read on the page.

/** The drop rates the selects offer. */
export const DROP_RATES = [0, 0.1, 0.25, 0.5, 0.9, 1];

export function fmtDuration(ms) {
  if (ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

export function fmtClock(ms) {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  const rest = (s % 60).toFixed(1).padStart(4, '0');
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export const fmtInt = new Intl.NumberFormat('en-US');

export function fmtVersion(version) {
  return Object.entries(version)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([actor, n]) => `${actor}:${n}`)
    .join(' ');
}

export const fmtRate = (rate) => `${Math.round(rate * 100)}%`;

/** Bytes in B, KB, MB (powers of 1024), three significant figures. */
export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  const [v, unit] = n < 1024 * 1024 ? [n / 1024, 'KB'] : [n / (1024 * 1024), 'MB'];
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${unit}`;
}
