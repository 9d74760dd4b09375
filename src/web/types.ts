/**
 * What the cluster runner (the lab) tells the dashboard, and what the dashboard may ask of it.
 * The runner implements `LabControl`; `src/web/server.ts` serves it over HTTP and SSE.
 */

/** Runtime faults of one actor, as set through its `POST /admin/faults`. */
export interface Faults {
  /** Fraction of outgoing replication messages discarded (overrides `--drop-rate` while set). */
  dropRate: number;
  /** Actor ids this actor cannot reach, and whose requests it refuses. */
  partition: number[];
  /** While true, the actor makes no mutations (it still serves and replicates). */
  pauseMutations: boolean;
}

/** `held`: a late joiner not started yet; `starting`: spawned, not answering yet. */
export type ActorPhase = 'held' | 'starting' | 'up' | 'down';

export interface ActorView {
  id: number;
  url: string;
  phase: ActorPhase;
  /** Fields from the actor's last `/status` and `/genome`; null until first seen. */
  length: number | null;
  digest: string | null;
  /** Two lowercase hex digits per gene. */
  genome: string | null;
  version: Record<string, number>;
  /** The actor's current incarnation (author id); null until first seen. */
  incarnation: number | null;
  /** Authors it has proof of equivocating (see `/status.equivocations`). */
  equivocations: Array<{ actor: number; incarnation: number; at: number }>;
  pending: number;
  /** Deleted elements it still holds (see `/status.tombstones`). */
  tombstones: number;
  /** Author id → ops every member holds, as far as it knows (see `/status.stable`). */
  stable: Record<string, number>;
  /** Bytes of its store on disk, 0 in memory (see `/status.storeBytes`). */
  storeBytes: number;
  /** Its store's last compaction since it started (see `/status.lastCompaction`). */
  lastCompaction: { at: string; ops: number; snapshotBytes: number; ms: number } | null;
  mutations: number;
  faults: Faults;
}

export interface LabEvent {
  /** ms since the lab started */
  t: number;
  kind: 'kill' | 'restart' | 'start' | 'partition' | 'heal' | 'drop' | 'pause' | 'resume' | 'converged' | 'exit';
  /** The actors it concerns, if any. */
  actors: number[];
  text: string;
}

export interface LabSnapshot {
  /** ms since the lab started */
  t: number;
  actors: ActorView[];
  /** Distinct genomes among the actors that are up. */
  distinct: number;
  /** ms since the lab started at which every up actor last held the same genome; null if never. */
  lastConvergedAt: number | null;
  /** Whether a nemesis schedule is running. */
  nemesis: boolean;
  /** Distinct genomes over time (one point per poll, bounded). */
  history: Array<{ t: number; distinct: number; up: number }>;
  /** Fault events, most recent last (bounded). */
  events: LabEvent[];
}

/** The actions the dashboard's controls (token holders only) can take. */
export interface LabControl {
  snapshot(): LabSnapshot;
  /** Called after every change of the snapshot; returns an unsubscribe function. */
  subscribe(listener: (snapshot: LabSnapshot) => void): () => void;
  kill(actor: number): Promise<void>;
  restart(actor: number): Promise<void>;
  /** Split the actors into groups that cannot reach each other. */
  partition(groups: number[][]): Promise<void>;
  /** Remove every partition and drop rate, and resume mutations. */
  heal(): Promise<void>;
  setDropRate(actor: number | 'all', rate: number): Promise<void>;
  pauseMutations(actor: number | 'all', paused: boolean): Promise<void>;
}

/** What a tab that joins is told: the member slot its replica uses, and whom it syncs with. */
export interface JoinAnswer {
  /** The guest member number of this tab's replica (the same for one tab id, in one lab run). */
  member: number;
  /** Members in all (actors and guest slots): the session's `members`. */
  members: number;
  /** An actor that is up, to sync with. */
  actor: number;
  /** Every actor id. */
  actors: number[];
  /** Names the cluster: a replica kept for another is of no use here. */
  cluster: string;
}

/** The dashboard's relay for a browser tab's replica (token holders only). */
export interface ReplicaRelay {
  /** A member slot for `tab` (409 `no_slot` when none is free); `hint`: the one its replica has, if still free. */
  join(tab: string, hint?: number): JoinAnswer;
  /** One session message for `actor`, forwarded signed; resolves to the answer's session message. */
  forward(actor: number, envelope: Uint8Array): Promise<Uint8Array>;
}
