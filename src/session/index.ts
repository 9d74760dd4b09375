export { nodeSession, type NodeSessionOptions } from './node.js';
export { SESSION_WIRE } from './envelope.js';
export { SyncSession, type SessionMessage, type SessionOptions } from './SyncSession.js';
