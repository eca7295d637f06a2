/**
 * What every peer VPN setup hands back: two tunnel ends running in the edge
 * and gateway namespaces, the addresses to measure through, and the daemon
 * PIDs whose CPU the tunnel costs.
 */
export interface TunnelEnds {
  /** Namespaces of the two ends, joined by the underlay path. */
  edgeNs: string;
  gwNs: string;
  /** Underlay addresses the tunnel runs between. */
  edgeAddr: string;
  gwAddr: string;
}

export interface TunnelPair {
  /** "openvpn", "wireguard-go", ... */
  system: string;
  /** Inner (tunnel) addresses of the edge and the gateway end. */
  edgeTunAddr: string;
  gwTunAddr: string;
  /** The daemons of both ends. */
  pids: number[];
  /** Stops both daemons (by PID) and removes what the setup created; safe to call twice. */
  stop(): Promise<void>;
}

/** Inner MTU for every peer tunnel, so TCP segment sizes match between systems (WireGuard's default). */
export const PEER_TUNNEL_MTU = 1420;
