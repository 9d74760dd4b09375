/**
 * Conformance suites (they need vitest and fast-check): run them against your own implementation.
 */
export { runListTests } from './testing/list-conformance.js';
export { runStoreTests, type StoreHome } from './testing/store-conformance.js';
