export { type MemorySessionOptions } from './memory-session.js';
export { nodeSession } from './node.js';
export { pump, type PumpOptions } from './pump.js';
export { SESSION_WIRE } from './envelope.js';
export { type ListView } from './session-list.js';
export { plainStates, SESSION_COMPACT_EVERY } from './states.js';
export { SyncSession, type SessionMessage, type SessionOptions } from './SyncSession.js';
