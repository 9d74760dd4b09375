/**
 * Programs that look after a group of actors: the local cluster supervisor and the one-shot
 * convergence check.
 */
export { runCluster, type ClusterOptions } from './supervisor.js';
export { verify, type VerifyOptions } from './verify.js';
