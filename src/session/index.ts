export { type MemorySessionOptions } from './memory-session.js';
export { nodeSession } from './node.js';
export { pump, type PumpOptions } from './pump.js';
export { SESSION_WIRE } from './envelope.js';
export { SyncSession, type ListView, type SessionMessage, type SessionOptions } from './SyncSession.js';
