/**
 * The replication protocol, pure: push of own ops and anti-entropy by version vectors, as a state
 * machine (`Replicator`); signed feeds (`Feeds`: chains, signatures, forks); and `Replica`, which
 * ties a list to its store under the durability rule. See INTERNALS.md for the protocol and why
 * it converges.
 */
export type { Chain, FeedCrypto, Signer } from './feed-crypto.js';
export { Feeds, POINT_SPACING, type Equivocation, type FeedRecords, type FeedRefusal, type FeedRefusalCode, type Fork, type Proof, type SignedPoint } from './Feeds.js';
export type { PeerId, Reply, Request, SyncPage } from './messages.js';
export { missingOps, ownOpsAfter, type PageLimits } from './pages.js';
export { Replica, type ReplicaConfig } from './Replica.js';
export { Replicator, type Outgoing, type PageOutcome, type SyncConfig } from './Replicator.js';
export type { Knowledge } from './knowledge.js';
export type { Store } from './store.js';
