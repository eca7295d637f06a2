import { EarliestArrival } from './earliest-arrival';
import { anyUsable, type PathView } from './scheduler';

/**
 * priority (primary / backup): backup paths carry data only while every
 * non-backup path is down (or suspect); within the tier in use, packets go by
 * earliest arrival. For a metered LTE link that should stay idle while the
 * fixed line works.
 */
export class Priority extends EarliestArrival {
  override readonly name = 'priority';

  protected override admit(p: PathView, paths: readonly PathView[], anyUp: boolean): boolean {
    if (!anyUp && !p.suspect) return false;
    if (anyUsable(paths, false)) return p.usable && !p.backup;
    if (anyUsable(paths, true)) return p.usable;
    // nothing up: a suspect primary is still better than a suspect backup
    let suspectPrimary = false;
    for (let i = 0; i < paths.length; i++) if (paths[i].suspect && !paths[i].backup) suspectPrimary = true;
    return p.suspect && (!suspectPrimary || !p.backup);
  }
}
