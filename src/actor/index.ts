/**
 * One actor: holds a genome, mutates it, pushes its ops to every peer, serves the HTTP routes,
 * and verifies convergence by polling its peers.
 */
export { ActorState, type Status } from './ActorState.js';
export { runActorProcess, startActor, type ActorOptions, type RunningActor } from './run.js';
