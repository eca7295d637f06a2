/**
 * Keeps the `user` label of /metrics bounded: at most `maxUsers` users get
 * their own series (the busiest, admitted while there is room, then kept for
 * good), every other user is summed into `user="other"`. Membership never
 * changes once given, and "other" grows by each user's increase since the
 * last scrape, so every exported counter stays monotonic even when users come
 * and go; flapping top-k sets would make rate() show false resets.
 */
import type { UserStatus } from '../daemon/status-types';

export const OTHER_USER = 'other';

interface Seen {
  txBytes: number;
  rxBytes: number;
  droppedPackets: number;
}

export class UserBound {
  private readonly labelled = new Set<string>();
  private readonly lastSeen = new Map<string, Seen>();
  private readonly other: UserStatus = { name: OTHER_USER, class: 'normal', txBytes: 0, rxBytes: 0, droppedPackets: 0 };

  constructor(readonly maxUsers: number) {}

  /** Users to export: the labelled ones present now, plus "other" once any user fell into it. */
  bound(users: readonly UserStatus[]): UserStatus[] {
    const candidates = users
      .filter((u) => !this.labelled.has(u.name) && u.name !== OTHER_USER && !this.lastSeen.has(u.name))
      .sort((a, b) => b.txBytes + b.rxBytes - (a.txBytes + a.rxBytes));
    for (const u of candidates) {
      if (this.labelled.size >= this.maxUsers) break;
      this.labelled.add(u.name);
    }
    const out: UserStatus[] = [];
    const present = new Set<string>();
    for (const u of users) {
      if (this.labelled.has(u.name)) {
        out.push(u);
        continue;
      }
      present.add(u.name);
      const last = this.lastSeen.get(u.name);
      // A counter below its last value means the user's state was reset: count all of it again.
      this.other.txBytes += u.txBytes >= (last?.txBytes ?? 0) ? u.txBytes - (last?.txBytes ?? 0) : u.txBytes;
      this.other.rxBytes += u.rxBytes >= (last?.rxBytes ?? 0) ? u.rxBytes - (last?.rxBytes ?? 0) : u.rxBytes;
      this.other.droppedPackets +=
        u.droppedPackets >= (last?.droppedPackets ?? 0) ? u.droppedPackets - (last?.droppedPackets ?? 0) : u.droppedPackets;
      this.lastSeen.set(u.name, { txBytes: u.txBytes, rxBytes: u.rxBytes, droppedPackets: u.droppedPackets });
    }
    for (const name of this.lastSeen.keys()) if (!present.has(name)) this.lastSeen.delete(name);
    if (this.lastSeen.size > 0 || this.other.txBytes + this.other.rxBytes + this.other.droppedPackets > 0) out.push({ ...this.other });
    return out;
  }
}
