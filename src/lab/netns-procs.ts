/**
 * Processes living in a lab's namespaces (servers a test left running, a
 * braid endpoint, a relay whose pid file is gone) belong to the lab: they
 * die with it, or the namespaces would linger as long as they run.
 */
import { netnsPids } from '../io/ip';
import { killAll } from './relay-process';

export async function netnsKillAll(namespaces: string[]): Promise<void> {
  const pids = new Set<number>();
  for (const ns of namespaces) for (const pid of netnsPids(ns)) if (pid !== process.pid) pids.add(pid);
  if (pids.size > 0) await killAll([...pids]);
}
