/**
 * Conformance suites (they need vitest and fast-check): run them against your own implementation.
 */
export { runListTests } from './testing/list-conformance.js';
