/**
 * crdt-genome as a library: the list CRDT core and the genome domain. The actor program and its
 * tools are behind the `crdt-genome` command; conformance suites are in `crdt-genome/testing`.
 */
export * from './crdt/index.js';
export * from './genome/index.js';
export * from './sync/index.js';
export * from './session/index.js';
