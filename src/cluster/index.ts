/**
 * Programs that look after a group of actors: the lab (a local cluster with its supervisor,
 * dashboard and nemesis) and the one-shot convergence check.
 */
export { runLab, type LabRunOptions } from './run.js';
export { planNemesis, type Action, type Plan } from './nemesis.js';
export type { Report } from './report.js';
export { verify, type VerifyOptions } from './verify.js';
