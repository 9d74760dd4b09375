/**
 * The genome domain: a gene is a byte; the seed's mutation rule; hex rendering and digest.
 */
export { genomeList, genomeRules } from './cluster.js';
export { isGene, type Gene } from './gene.js';
export { MIN_GENES, mutate, nextMutation, type Mutation } from './mutation.js';
export { digest, toHex } from './render.js';
export { Rng } from './Rng.js';
