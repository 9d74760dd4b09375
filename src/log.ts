import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Set by `crdt-genome cluster` for its children when it writes to a terminal itself. */
export const PRETTY_ENV = 'GENOME_LOG_PRETTY';

/**
 * Logs go to stderr: readable lines on a terminal, JSON lines otherwise (pipes, files,
 * log collectors). Pretty printing is synchronous so nothing is lost on exit. With `write`, each
 * line goes there instead (without its newline), e.g. above a live status line.
 */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}, write?: (line: string) => void): Logger {
  const usePretty = process.stderr.isTTY === true || process.env[PRETTY_ENV] === '1';
  const to =
    write === undefined
      ? undefined
      : new Writable({
          write(chunk: Buffer | string, _encoding, done) {
            for (const line of String(chunk).split('\n')) if (line !== '') write(line);
            done();
          },
        });
  const stream = usePretty
    ? pretty({ destination: to ?? 2, sync: true, colorize: true, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
    : (to ?? pino.destination({ fd: 2, sync: true }));
  return pino({ level, base: bindings }, stream);
}
