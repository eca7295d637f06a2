import { EarliestArrival } from './earliest-arrival';
import { bestTier, eligible, type PathView } from './scheduler';

/**
 * priority (primary / backup): backup paths carry data only while every
 * non-backup path is down (or suspect); within the tier in use, packets go by
 * earliest arrival. For a metered LTE link that should stay idle while the
 * fixed line works.
 */
export class Priority extends EarliestArrival {
  override readonly name = 'priority';

  protected override admit(p: PathView, paths: readonly PathView[], tier: number): boolean {
    const primaryTier = bestTier(paths, false);
    if (primaryTier >= 1) return !p.backup && eligible(p, primaryTier);
    const backupTier = bestTier(paths, true);
    if (backupTier >= 1) return p.backup && eligible(p, backupTier);
    // nothing up: a suspect primary is still better than a suspect backup
    if (primaryTier === 0) return !p.backup && eligible(p, 0);
    return eligible(p, tier);
  }
}
