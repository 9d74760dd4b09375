import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { createDashboard } from '../web/server.js';
import { Lab } from './Lab.js';
import { planNemesis, runNemesis } from './nemesis.js';
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
  dropRate: number;
  /** Where the dashboard listens; null: no dashboard. */
  dashboardPort: number | null;
  nemesis: boolean;
  seed: number;
  /** Run this long, then heal, converge and report; null: until stopped. */
  durationMs: number | null;
  convergeTimeoutMs: number;
  report: 'text' | 'json';
  log: Logger;
}

const POLL_MS = 250;

/**
 * `crdt-genome cluster`: start the actors and the dashboard, optionally a nemesis, and stop
 * everything cleanly on Ctrl-C or SIGTERM. With a duration, end by healing every fault, pausing
 * mutations and waiting for convergence, then report. Returns the exit code.
 */
export async function runLab(opts: LabRunOptions): Promise<number> {
  const { log } = opts;
  const status = new StatusLine();
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
  const plan = opts.nemesis && opts.durationMs !== null ? planNemesis(opts.seed, opts.count, opts.durationMs) : null;
  const lab = new Lab({ urls: opts.urls, token: opts.token, supervisor, held: new Set(plan?.held), dropRate: opts.dropRate, pollMs: POLL_MS, log });
  const unsubscribe = lab.subscribe((s) => status.update(s));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals): void => stop(signal, exitCode);
  for (const signal of signals) process.on(signal, onSignal);

  const dashboard = opts.dashboardPort === null ? null : createDashboard(lab, { token: opts.token, log });
  try {
    if (dashboard !== null) {
      await dashboard.listen({ host: opts.host, port: opts.dashboardPort as number });
      const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.dashboardPort}/?token=${encodeURIComponent(opts.token)}`;
      status.print(`dashboard: ${url}`);
    }
    lab.start();
    if (plan !== null) log.info({ held: plan.held, actions: plan.actions.length, seed: opts.seed }, `nemesis: ${plan.actions.length} actions over ${opts.durationMs} ms; late joiners: ${plan.held.join(', ') || 'none'}`);
    if (opts.durationMs === null) {
      await new Promise((resolve) => stopping.signal.addEventListener('abort', resolve, { once: true }));
    } else {
      lab.nemesis = plan !== null;
      const [faults] = await Promise.all([plan === null ? 0 : runNemesis(plan, lab, stopping.signal), sleep(opts.durationMs, undefined, { signal: stopping.signal }).catch(() => undefined)]);
      lab.nemesis = false;
      if (!stopping.signal.aborted) {
        const report = await healAndConverge(lab, opts, faults, stopping.signal);
        unsubscribe();
        status.clear();
        process.stdout.write(`${opts.report === 'json' ? reportJson(report) : reportText(report)}\n`);
        if (exitCode === 0) exitCode = report.converged && report.lost === 0 ? 0 : 1;
        stop('the run is over', exitCode);
      }
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

/** End of a timed run: every actor up, no faults, mutations paused; wait until all agree. */
async function healAndConverge(lab: Lab, opts: LabRunOptions, faults: number, signal: AbortSignal): Promise<Report> {
  const started = Date.now();
  await lab.heal();
  await lab.pauseMutations('all', true);
  for (const a of lab.snapshot().actors) if (a.phase === 'down' || a.phase === 'held') await lab.restart(a.id);
  const deadline = started + opts.convergeTimeoutMs;
  let converged = false;
  while (!signal.aborted && Date.now() < deadline) {
    // Converged once all agree with every actor's mutations paused, so nothing new can come.
    if (lab.converged() && lab.snapshot().actors.every((a) => a.faults.pauseMutations)) {
      converged = true;
      break;
    }
    await sleep(POLL_MS / 2, undefined, { signal }).catch(() => undefined);
  }
  const convergeMs = Date.now() - started;
  const ops = lab.observed().reduce((a, b) => a + b, 0);
  const report = { faults, converged, convergeMs, ops, lost: lab.lost() };
  opts.log.info(report, `run over: ${faults} faults, ${converged ? `converged in ${convergeMs} ms` : 'did not converge'}, ${ops} ops, ${report.lost} lost`);
  return report;
}
