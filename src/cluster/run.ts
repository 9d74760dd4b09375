import { setTimeout as sleep } from 'node:timers/promises';
import { constants } from 'node:os';
import { createLogger, type Logger, type LogLevel } from '../log.js';
import type { TlsConfig } from '../transport/tls.js';
import { createDashboard } from '../web/server.js';
import { GuestRelay } from './GuestRelay.js';
import { Lab } from './Lab.js';
import { planNemesis, runNemesis, type Tally } from './nemesis.js';
import { reportJson, reportText, type Report } from './report.js';
import { StatusLine } from './StatusLine.js';
import { Supervisor } from './Supervisor.js';

export interface LabRunOptions {
  count: number;
  host: string;
  /** Base URL of actor i. */
  urls: string[];
  cli: string;
  actorArgs: (i: number) => string[];
  /** Environment for the actors (the token goes in here). */
  env: NodeJS.ProcessEnv;
  token: string;
  /** The actors' cluster key: the relay signs a tab's messages with it. */
  clusterKey: string;
  /** Guest member slots, for tabs' replicas through the dashboard's relay. */
  guests: number;
  /** Names the cluster for as long as its actors keep their stores (a tab drops a replica of another). */
  cluster: string;
  /** The actors' (and the dashboard's) certificate and key, and the CA the lab trusts; NO_TLS: plain HTTP. */
  tls: TlsConfig;
  dropRate: number;
  /** Where the dashboard listens; null: no dashboard. */
  dashboardPort: number | null;
  nemesis: boolean;
  seed: number;
  /** Run this long, then heal, converge and report; null: until stopped. */
  durationMs: number | null;
  convergeTimeoutMs: number;
  report: 'text' | 'json';
  logLevel: LogLevel;
}

/** The lab polls a small cluster's actors this often... */
const POLL_MS = 250;
/**
 * ...and a large one's no more than this many a second in all (64 actors: each once a second):
 * every poll costs an actor a request it serves, and 64 actors share two cores.
 */
const POLLS_PER_SECOND = 64;

/** Between two poll rounds of `count` actors. */
export const pollInterval = (count: number): number => Math.max(POLL_MS, Math.ceil((count * 1000) / POLLS_PER_SECOND));

/** How long a timed run waits for its actors to be up before its clock starts anyway. */
const START_LIMIT_MS = 120_000;

/**
 * `crdt-genome cluster`: start the actors and the dashboard, optionally a nemesis, and stop
 * everything cleanly on Ctrl-C or SIGTERM. With a duration, end by healing every fault, pausing
 * mutations and waiting for convergence, then report. Returns the exit code.
 */
export async function runLab(opts: LabRunOptions): Promise<number> {
  const status = new StatusLine();
  const log = createLogger(opts.logLevel, { component: 'cluster' }, (line) => status.print(line));
  const timed = opts.durationMs !== null;
  let exitCode = 0;
  const stopping = new AbortController();
  const stop = (why: string, code: number): void => {
    if (stopping.signal.aborted) return;
    exitCode = code;
    log.info(`stopping the cluster (${why})`);
    stopping.abort();
  };
  const supervisor = new Supervisor({
    count: opts.count,
    cli: opts.cli,
    actorArgs: opts.actorArgs,
    env: opts.env,
    out: (line) => status.print(line),
    onExit: (actor, how, deliberate) => {
      lab.exited(actor, how, deliberate);
      if (!deliberate) stop(`actor ${actor} died`, 1);
    },
  });
  const plan = opts.nemesis && timed ? planNemesis(opts.seed, opts.count, opts.durationMs as number) : null;
  const lab = new Lab({ urls: opts.urls, token: opts.token, supervisor, held: new Set(plan?.held), dropRate: opts.dropRate, pollMs: pollInterval(opts.count), log });
  const unsubscribe = lab.subscribe((s) => status.update(s));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  // Stopping is how an open-ended run ends; a timed run stopped early has no verdict.
  const onSignal = (signal: NodeJS.Signals): void => stop(signal, timed ? 128 + constants.signals[signal] : 0);
  for (const signal of signals) process.on(signal, onSignal);
  const tally: Tally = { faults: 0 };
  const printReport = (report: Report): void => {
    unsubscribe();
    status.clear();
    process.stdout.write(`${opts.report === 'json' ? reportJson(report) : reportText(report)}\n`);
  };

  const relay = new GuestRelay({ urls: opts.urls, guests: opts.guests, clusterKey: opts.clusterKey, cluster: opts.cluster, actors: () => lab.snapshot().actors });
  const dashboard = opts.dashboardPort === null ? null : createDashboard(lab, { token: opts.token, log, tls: opts.tls.server, relay });
  try {
    log.info({ urls: opts.urls, seed: opts.seed }, `starting ${opts.count} actors: ${opts.urls.join(' ')} (seed ${opts.seed}; actor i uses seed + i)`);
    if (dashboard !== null) {
      await dashboard.listen({ host: opts.host, port: opts.dashboardPort as number });
      const url = `${opts.tls.server === null ? 'http' : 'https'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.dashboardPort}/?token=${encodeURIComponent(opts.token)}`;
      status.print(`dashboard: ${url}`);
    }
    lab.start();
    if (plan !== null) log.info({ held: plan.held, actions: plan.actions.length, seed: opts.seed }, `nemesis: ${plan.actions.length} actions over ${opts.durationMs} ms; late joiners: ${plan.held.join(', ') || 'none'}`);
    if (!timed) {
      await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
    } else {
      await untilStarted(lab, stopping.signal, log);
      lab.nemesis = plan !== null;
      const duration = opts.durationMs as number;
      // The faults stop at the duration even when a loaded machine made them run late: the heal undoes those begun.
      const faultsOver = AbortSignal.any([stopping.signal, AbortSignal.timeout(duration)]);
      await Promise.all([plan === null ? undefined : runNemesis(plan, lab, opts.dropRate, tally, faultsOver), sleep(duration, undefined, { signal: stopping.signal }).catch(() => undefined)]);
      lab.nemesis = false;
      const report = stopping.signal.aborted ? cutShort(lab, tally) : await healAndConverge(lab, opts, tally, stopping.signal, log);
      printReport(report);
      if (exitCode === 0) exitCode = report.converged && report.lost === 0 ? 0 : 1;
      stop('the run is over', exitCode);
    }
  } finally {
    unsubscribe();
    lab.stop();
    await supervisor.stopAll();
    await dashboard?.close();
    status.clear();
    for (const signal of signals) process.off(signal, onSignal);
  }
  return exitCode;
}

/**
 * A timed run's clock starts once its actors are up (late joiners aside), waiting at most
 * START_LIMIT_MS: 64 actors take half a minute of two cores to start, and faults meant for a
 * running cluster would otherwise land on one still starting.
 */
async function untilStarted(lab: Lab, signal: AbortSignal, log: Logger): Promise<void> {
  const started = Date.now();
  while (!signal.aborted && !lab.started() && Date.now() - started < START_LIMIT_MS) await sleep(POLL_MS / 5, undefined, { signal }).catch(() => undefined);
  const ms = Date.now() - started;
  if (lab.started()) log.info({ ms }, `actors up after ${ms} ms: the run starts`);
  else log.warn({ ms }, `not every actor is up after ${ms} ms: the run starts anyway`);
}

/** A timed run stopped before its end (a signal, an actor that died): no verdict but "no". */
function cutShort(lab: Lab, tally: Tally): Report {
  return { faults: tally.faults, converged: false, convergeMs: 0, ops: lab.opsSeen(), lost: lab.lost() };
}

/** End of a timed run: every actor up, no faults, mutations paused; wait until all agree. */
async function healAndConverge(lab: Lab, opts: LabRunOptions, tally: Tally, signal: AbortSignal, log: Logger): Promise<Report> {
  const started = Date.now();
  await lab.heal();
  await lab.pauseMutations('all', true);
  for (const a of lab.snapshot().actors) if (a.phase === 'down' || a.phase === 'held') await lab.restart(a.id);
  const deadline = started + opts.convergeTimeoutMs;
  let converged = false;
  while (!signal.aborted && Date.now() < deadline) {
    // Agreement seen by a poll that began once every actor had its mutations paused: final.
    if (lab.settled()) {
      converged = true;
      break;
    }
    await sleep(POLL_MS / 5, undefined, { signal }).catch(() => undefined);
  }
  const convergeMs = Date.now() - started;
  const ops = lab.opsSeen();
  const report = { faults: tally.faults, converged, convergeMs, ops, lost: lab.lost() };
  log.info(report, `run over: ${tally.faults} faults, ${converged ? `converged in ${convergeMs} ms` : 'did not converge'}, ${ops} ops, ${report.lost} lost`);
  return report;
}
