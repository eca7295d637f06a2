/**
 * A path's MTU: set on the middle namespace's TUNs, so a packet bigger than
 * it is fragmented there or, with DF set, refused with ICMP "fragmentation
 * needed" (the middle's own ICMP goes straight out, unimpaired). With
 * pmtuIcmp off an nftables rule drops that ICMP: a PMTU black hole, where only
 * probing finds the MTU.
 */
import { ipBatch, nft } from '../io/ip';
import type { Impairment } from './impairment';
import { TUN_DOWN, TUN_UP, type LabPathInfo } from './topology';

const TABLE = 'braid_lab_pmtu';

export function applyPathMtu(p: LabPathInfo, params: Pick<Impairment, 'mtu' | 'pmtuIcmp'>): void {
  ipBatch([`link set dev ${TUN_UP} mtu ${params.mtu}`, `link set dev ${TUN_DOWN} mtu ${params.mtu}`], { netns: p.middleNs });
  // Declaring the table first makes the delete succeed whether or not it existed.
  const rules = [`table ip ${TABLE} {}`, `delete table ip ${TABLE}`];
  if (!params.pmtuIcmp) {
    rules.push(
      `table ip ${TABLE} {`,
      '  chain output {',
      '    type filter hook output priority 0; policy accept;',
      '    icmp type destination-unreachable icmp code frag-needed counter drop',
      '  }',
      '}',
    );
  }
  nft(rules.join('\n') + '\n', { netns: p.middleNs });
}
