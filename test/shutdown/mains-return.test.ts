import { describe, expect, it } from 'vitest';
import { initialMainsReturn, mainsReturn, type MainsReturnState } from '../../src/shutdown/mains-return.js';

const lost: MainsReturnState = { mainsWasLost: true, stopped: false };
const never: MainsReturnState = { mainsWasLost: false, stopped: false };
const stopped: MainsReturnState = { mainsWasLost: true, stopped: true };
const real = { dry: false, passedPonr: false, hasLoadOff: true };

describe('the mains-return rule', () => {
  const cases: {
    name: string;
    state: MainsReturnState;
    input: { dry: boolean; passedPonr: boolean; hasLoadOff: boolean; mainsOnline: boolean };
    stopping: boolean;
    justStopped: boolean;
    next?: MainsReturnState;
  }[] = [
    {
      name: 'mains back after it was lost: stop',
      state: lost,
      input: { ...real, mainsOnline: true },
      stopping: true,
      justStopped: true,
      next: stopped,
    },
    {
      name: 'still on battery: go on, remember the loss',
      state: never,
      input: { ...real, mainsOnline: false },
      stopping: false,
      justStopped: false,
      next: lost,
    },
    {
      name: 'a test started on mains, mains still on: go on',
      state: never,
      input: { ...real, mainsOnline: true },
      stopping: false,
      justStopped: false,
      next: never,
    },
    {
      name: 'once stopped, stays stopped (even if mains goes again)',
      state: stopped,
      input: { ...real, mainsOnline: false },
      stopping: true,
      justStopped: false,
      next: stopped,
    },
    {
      name: 'past the point of no return: never stops',
      state: lost,
      input: { ...real, passedPonr: true, mainsOnline: true },
      stopping: false,
      justStopped: false,
      next: lost,
    },
    {
      name: 'a dry run: never stops',
      state: lost,
      input: { ...real, dry: true, mainsOnline: true },
      stopping: false,
      justStopped: false,
    },
    {
      name: 'a subset (no load-off): never stops',
      state: lost,
      input: { ...real, hasLoadOff: false, mainsOnline: true },
      stopping: false,
      justStopped: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = mainsReturn(c.state, c.input);
      expect(r.stopping).toBe(c.stopping);
      expect(r.justStopped).toBe(c.justStopped);
      if (c.next) expect(r.state).toEqual(c.next);
    });
  }

  it('a resumed run counts mains as lost from the start', () => {
    expect(initialMainsReturn(true, true)).toEqual(lost);
    expect(initialMainsReturn(false, false)).toEqual(lost);
    expect(initialMainsReturn(false, true)).toEqual(never);
  });
});
