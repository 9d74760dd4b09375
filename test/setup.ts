import fc from 'fast-check';

// Replay a failing property: fast-check prints `seed` and `path`; pass them back here.
//   FC_SEED=<seed> FC_PATH=<path> npx vitest run <file>
const seed = process.env.FC_SEED;
const path = process.env.FC_PATH;
// A property runs synchronously, so vitest's timeout cannot stop it: shrinking a failure of a
// costly property could run for hours. Past this limit fast-check stops (shrinking or not) and
// reports what it has, seed and counterexample included; a run cut short counts as a failure.
fc.configureGlobal({
  interruptAfterTimeLimit: 45_000,
  markInterruptAsFailure: true,
  ...(seed === undefined ? {} : { seed: Number(seed), ...(path === undefined ? {} : { path }) }),
});
