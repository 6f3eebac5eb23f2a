/**
 * The runner's mains-return rule, pure: before the point of no return, mains coming back after it was lost stops a real
 * run that has a load-off (a whole-plan run); a dry run, a subset test and a run past the point of no return go on.
 * "Back after being lost": a test run started on mains is not stopped by it; a resumed run was started by an outage,
 * as far as anyone can tell, so it counts as lost from the start.
 */
export interface MainsReturnState {
  /** Mains was seen lost during the run (or the run was resumed). */
  readonly mainsWasLost: boolean;
  /** The run is stopping; once set, it stays. */
  readonly stopped: boolean;
}

export interface MainsReturnInput {
  readonly dry: boolean;
  readonly passedPonr: boolean;
  /** The plan ends in a load-off (a subset never does). */
  readonly hasLoadOff: boolean;
  readonly mainsOnline: boolean;
}

export function initialMainsReturn(resumed: boolean, mainsOnline: boolean): MainsReturnState {
  return { mainsWasLost: resumed || !mainsOnline, stopped: false };
}

/** One look at mains: the next state, and whether the run must stop now. */
export function mainsReturn(
  state: MainsReturnState,
  input: MainsReturnInput,
): { state: MainsReturnState; stopping: boolean; justStopped: boolean } {
  if (input.dry || input.passedPonr || !input.hasLoadOff) return { state, stopping: false, justStopped: false };
  const mainsWasLost = state.mainsWasLost || !input.mainsOnline;
  const justStopped = !state.stopped && input.mainsOnline && mainsWasLost;
  const stopped = state.stopped || justStopped;
  return { state: { mainsWasLost, stopped }, stopping: stopped, justStopped };
}
