import fc from 'fast-check';

// Replay a failing property: fast-check prints `seed` and `path`; pass them back here.
//   FC_SEED=<seed> FC_PATH=<path> npx vitest run <file>
const seed = process.env.FC_SEED;
const path = process.env.FC_PATH;
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed), ...(path === undefined ? {} : { path }) });
