import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { READY_ALONE_MS, Readiness, registerReadyRoute } from '../src/actor/Readiness.js';
import { createHttpServer } from '../src/transport/http-server.js';

afterEach(() => {
  vi.useRealTimers();
});

function started(peers: number): { readiness: Readiness; told: string[] } {
  const told: string[] = [];
  const readiness = new Readiness(peers, (why) => told.push(why));
  readiness.start();
  return { readiness, told };
}

describe('Readiness', () => {
  it('is ready at once without peers', () => {
    const { readiness, told } = started(0);
    expect(readiness.ready).toBe(true);
    expect(told).toEqual(['no peers to catch up from']);
  });

  it('is ready once a sync with a peer ran to its end, not at a page with more to come', () => {
    vi.useFakeTimers();
    const { readiness, told } = started(2);
    readiness.page('http://genome-1.genome:7000', true);
    expect(readiness.ready).toBe(false);
    readiness.page('http://genome-1.genome:7000', false);
    expect(readiness.ready).toBe(true);
    expect(told).toEqual(['caught up with http://genome-1.genome:7000']);
    // Once: later pages, and the time that passes, change nothing.
    readiness.page('http://genome-2.genome:7000', false);
    vi.advanceTimersByTime(READY_ALONE_MS * 2);
    expect(told).toHaveLength(1);
  });

  it('is ready alone after READY_ALONE_MS without a page, counted again from each page', () => {
    vi.useFakeTimers();
    const { readiness, told } = started(2);
    vi.advanceTimersByTime(READY_ALONE_MS - 1);
    readiness.page('http://genome-1.genome:7000', true);
    vi.advanceTimersByTime(READY_ALONE_MS - 1);
    expect(readiness.ready).toBe(false);
    vi.advanceTimersByTime(1);
    expect(readiness.ready).toBe(true);
    expect(told).toEqual([`no sync page from any peer for ${READY_ALONE_MS / 1000} s: ready alone`]);
  });

  it('GET /readyz answers 503 `catching_up` until ready, then 200', async () => {
    const readiness = new Readiness(1, () => undefined);
    readiness.start();
    const app = createHttpServer(pino({ level: 'silent' }));
    registerReadyRoute(app, readiness);
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({ error: 'catching_up' });
    readiness.page('http://genome-1.genome:7000', false);
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual({ ready: true, why: 'caught up with http://genome-1.genome:7000' });
    readiness.stop();
    await app.close();
  });
});
