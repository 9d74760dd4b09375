/**
 * The core: a replicated list CRDT generic over its values, with op ids, ops and version vectors.
 * Pure: no I/O, no clock, no randomness. See INTERNALS.md for the algorithm.
 */
export { actorId, formatId, isActorId, MAX_ACTOR, opId, sameId, type ActorId, type OpId } from './ids.js';
export type { ChangeEvent, ChangeListener } from './changes.js';
export { DEFAULT_MAX_PENDING, fairShare, type ApplyCounts, type ApplyResult, type List, type ListOptions, type MakeList } from './list.js';
export { dependencies, formatOp, isDelete, isInsert, sameOp, type DeleteOp, type InsertOp, type Op } from './ops.js';
export { applyBatch, type BatchResult } from './batch.js';
export { decodeBatch, decodeColumns, encodeBatch, encodeColumns } from './batch-codec.js';
export { FastList } from './fast/FastList.js';
export { decodeState, encodeState } from './fast/state-codec.js';
export type { ListState, PieceState } from './fast/state.js';
export { ReferenceList } from './ReferenceList.js';
export { InvalidOpError, isCounter, RefusedOpError, MAX_COUNTER, opProblem, type OpRules } from './validate.js';
export { byteCodec, jsonCodec, stringCodec, type ValueCodec } from './value-codec.js';
export { covers, formatVersion, versionFromJSON, versionToJSON, type VersionVector } from './version.js';
