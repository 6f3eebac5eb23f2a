import { describe, expect, it } from 'vitest';
import type { EventsResponse } from '../../src/web/api-types/events.js';
import { as, readRig, T0 } from './read-apis-rig.js';

async function seeded(n: number) {
  const r = await readRig();
  for (let i = 1; i <= n; i++) {
    r.events.add({
      at: T0 + i * 1000,
      type: i % 2 === 0 ? 'ONLINE' : 'ONBATT',
      ups: i % 3 === 0 ? 'ups2' : 'ups1',
      message: `event ${i}`,
    });
  }
  return r;
}

const get = async (r: Awaited<ReturnType<typeof seeded>>, query: string): Promise<EventsResponse> => {
  const res = await r.app.inject({ url: `/api/events${query}`, headers: as('viewer') });
  expect(res.statusCode, query).toBe(200);
  return res.json<EventsResponse>();
};

const ids = (b: EventsResponse): number[] => b.events.map((e) => e.id);

describe('GET /api/events', () => {
  it('pages newest first by id: nextBefore fetches the next page and is null on the last one', async () => {
    const r = await seeded(5);
    const p1 = await get(r, '?limit=2');
    expect(ids(p1)).toEqual([5, 4]);
    expect(p1.nextBefore).toBe(4);
    const p2 = await get(r, `?limit=2&before=${p1.nextBefore}`);
    expect(ids(p2)).toEqual([3, 2]);
    expect(p2.nextBefore).toBe(2);
    const p3 = await get(r, `?limit=2&before=${p2.nextBefore}`);
    expect(ids(p3)).toEqual([1]);
    expect(p3.nextBefore).toBeNull();
  });

  it('a last page that is exactly full says there is no more', async () => {
    const r = await seeded(4);
    const p1 = await get(r, '?limit=2');
    expect(p1.nextBefore).toBe(3);
    const p2 = await get(r, '?limit=2&before=3');
    expect(ids(p2)).toEqual([2, 1]);
    expect(p2.nextBefore).toBeNull();
    expect(await get(r, '?before=1')).toEqual({ events: [], nextBefore: null });
    expect(await get(r, '?limit=1000')).toMatchObject({ nextBefore: null });
  });

  it('filters by type (one or several, any case) and by UPS, paging within the filter', async () => {
    const r = await seeded(9);
    expect(ids(await get(r, '?type=ONBATT'))).toEqual([9, 7, 5, 3, 1]);
    expect(ids(await get(r, '?type=onbatt,ONLINE&ups=ups2'))).toEqual([9, 6, 3]);
    const page = await get(r, '?ups=ups1&limit=2&before=7');
    expect(ids(page)).toEqual([5, 4]);
    expect(page.nextBefore).toBe(4);
    expect(ids(await get(r, '?ups=nobody'))).toEqual([]);
    const e = (await get(r, '?limit=1')).events[0]!;
    expect(e).toEqual({
      id: 9,
      at: new Date(T0 + 9000).toISOString(),
      type: 'ONBATT',
      severity: 'warning',
      ups: 'ups2',
      message: 'event 9',
    });
  });

  it('since= still returns what came after an id, oldest first (the live page catching up)', async () => {
    const r = await seeded(5);
    const after = await get(r, '?since=3');
    expect(ids(after)).toEqual([4, 5]);
    expect(after.nextBefore).toBeNull();
  });

  it('refuses bad query input with a typed 400 naming the parameter', async () => {
    const r = await seeded(1);
    const bad = [
      ['?type=ONBAT', /type: unknown event type "ONBAT"/],
      ['?type=', /type: unknown event type ""/],
      ['?before=0', /before/],
      ['?before=abc', /before/],
      ['?limit=0', /limit/],
      ['?limit=1001', /limit/],
      ['?since=1&before=2', /since: give either since or before/],
    ] as const;
    for (const [query, msg] of bad) {
      const res = await r.app.inject({ url: `/api/events${query}`, headers: as('viewer') });
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({
        error: 'REQUEST_INVALID',
        message: expect.stringMatching(msg) as unknown,
      });
    }
    const csv = await r.app.inject({ url: '/api/events.csv?type=NOPE', headers: as('viewer') });
    expect(csv.statusCode).toBe(400);
    expect(csv.json<{ message: string }>().message).toMatch(/^type: /);
  });

  it('needs a viewer', async () => {
    const r = await seeded(1);
    expect((await r.app.inject({ url: '/api/events' })).statusCode).toBe(401);
    expect((await r.app.inject({ url: '/api/events.csv' })).statusCode).toBe(401);
  });
});

describe('GET /api/events.csv', () => {
  it('exports the filtered events newest first, escaping commas, quotes, line breaks and formulas', async () => {
    const r = await readRig();
    r.events.add({ at: T0, type: 'ONBATT', ups: 'ups1', message: 'ups1: on battery, "really"' });
    r.events.add({ at: T0 + 1000, type: 'COMMBAD', ups: 'ups1', message: 'ups1: lost:\nsecond line\r\nthird' });
    r.events.add({ at: T0 + 2000, type: 'ONLINE', ups: 'ups2', message: 'ups2: back on mains' });
    r.events.add({ at: T0 + 3000, type: 'COMMBAD', ups: 'ups1', message: '=HYPERLINK("http://evil")' });
    const res = await r.app.inject({ url: '/api/events.csv?ups=ups1', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="events.csv"');
    const iso = (ms: number): string => new Date(ms).toISOString();
    expect(res.body).toBe(
      [
        'id,at,type,severity,ups,message',
        `4,${iso(T0 + 3000)},COMMBAD,critical,ups1,"'=HYPERLINK(""http://evil"")"`,
        `2,${iso(T0 + 1000)},COMMBAD,critical,ups1,"ups1: lost:\nsecond line\r\nthird"`,
        `1,${iso(T0)},ONBATT,warning,ups1,"ups1: on battery, ""really"""`,
        '',
      ].join('\r\n'),
    );
  });
});
