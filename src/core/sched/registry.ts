import { ConfigError } from '../../errors';
import { EarliestArrival } from './earliest-arrival';
import { LowestLatency } from './lowest-latency';
import { Priority } from './priority';
import { Redundant } from './redundant';
import type { Scheduler } from './scheduler';
import { WeightedRoundRobin } from './wrr';

/** Every path scheduler by its config name. Adding one: a new file and one line here. */
const SCHEDULERS: Record<string, () => Scheduler> = {
  'earliest-arrival': () => new EarliestArrival(),
  'lowest-latency': () => new LowestLatency(),
  priority: () => new Priority(),
  redundant: () => new Redundant(),
  wrr: () => new WeightedRoundRobin(),
};

export const DEFAULT_SCHEDULER = 'earliest-arrival';

export function schedulerNames(): string[] {
  return Object.keys(SCHEDULERS);
}

/** A fresh scheduler; `key` names the config setting in the error. */
export function createScheduler(name: string = DEFAULT_SCHEDULER, key = 'scheduler'): Scheduler {
  const make = Object.prototype.hasOwnProperty.call(SCHEDULERS, name) ? SCHEDULERS[name] : undefined;
  if (!make) throw new ConfigError(key, `unknown scheduler "${name}"; use one of ${schedulerNames().join(', ')}`);
  return make();
}
