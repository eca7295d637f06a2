/** Drops and events of the endpoint as a whole (per-link counters live on each PeerLink). */
export class TunnelCounters {
  dropMalformedInner = 0;
  dropNoPeer = 0;
  dropNoSession = 0;
  dropSourceNotAllowed = 0;
  dropNoPathAddress = 0;
  dropSealFailed = 0;
  pathsLearned = 0;
  pathAddressChanges = 0;
}
