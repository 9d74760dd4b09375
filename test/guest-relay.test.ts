import { describe, expect, it } from 'vitest';
import { GUEST_IDLE_MS, GuestRelay } from '../src/cluster/GuestRelay.js';
import type { ActorView } from '../src/web/types.js';

const up = (id: number): ActorView => ({ id, phase: 'up' }) as ActorView;

function relay(guests: number, clock: { t: number }, actors: ActorView[] = [up(0), up(1), up(2)]): GuestRelay {
  return new GuestRelay({ urls: ['http://a0', 'http://a1', 'http://a2'], guests, clusterKey: null, cluster: 'c1', actors: () => actors, now: () => clock.t });
}

const refusal = (f: () => unknown): { statusCode: number; code: string } | null => {
  try {
    f();
    return null;
  } catch (err) {
    const { statusCode, code } = err as { statusCode: number; code: string };
    return { statusCode, code };
  }
};

describe("the lab's guest slots", () => {
  it('gives each tab a slot of its own past the actors, the same one again, and none when all are held', () => {
    const r = relay(2, { t: 0 });
    expect(r.join('tab-aaaaaaaa')).toEqual({ member: 3, members: 5, actor: 0, actors: [0, 1, 2], cluster: 'c1' });
    expect(r.join('tab-bbbbbbbb')).toMatchObject({ member: 4, actor: 1 });
    expect(r.join('tab-aaaaaaaa').member).toBe(3);
    expect(refusal(() => r.join('tab-cccccccc'))).toEqual({ statusCode: 409, code: 'no_slot' });
    expect(refusal(() => relay(0, { t: 0 }).join('tab-aaaaaaaa'))).toEqual({ statusCode: 409, code: 'no_slot' });
  });

  it('gives a tab the slot its stored replica has when that one is free (a restarted lab), another when it is not', () => {
    const r = relay(3, { t: 0 });
    expect(r.join('tab-bbbbbbbb', 5).member).toBe(5);
    expect(r.join('tab-aaaaaaaa', 5).member).toBe(3);
    // A slot outside the guests is no hint at all.
    expect(r.join('tab-cccccccc', 1).member).toBe(4);
  });

  it('gives a slot unheard for the idle time to a new tab when every slot is held, never sooner', () => {
    const clock = { t: 0 };
    const r = relay(1, clock);
    r.join('tab-aaaaaaaa');
    clock.t = GUEST_IDLE_MS - 1;
    expect(refusal(() => r.join('tab-bbbbbbbb'))?.code).toBe('no_slot');
    clock.t = GUEST_IDLE_MS;
    expect(r.join('tab-bbbbbbbb').member).toBe(3);
    // The old tab now finds its slot held.
    expect(refusal(() => r.join('tab-aaaaaaaa'))?.code).toBe('no_slot');
  });

  it('points a tab at an actor that is up', () => {
    const actors = [{ id: 0, phase: 'down' } as ActorView, up(1), { id: 2, phase: 'starting' } as ActorView];
    expect(relay(2, { t: 0 }, actors).join('tab-aaaaaaaa').actor).toBe(1);
  });
});
