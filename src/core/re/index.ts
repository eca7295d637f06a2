/**
 * Redundancy elimination (RE): byte caching between the two endpoints of a
 * session, applied to TCP payloads per flow.
 *
 * The encoder cuts each flow's byte stream into content-defined chunks (gear
 * hash, nominal 128 B), indexes chunk-boundary fingerprints (hash table with
 * chaining, LRU-by-content eviction under a memory cap) and keeps every byte
 * it sends in a byte cache laid out in per-flow extents, so one flow's bytes
 * stay contiguous however many flows interleave. A fingerprint hit is
 * byte-compared and the match extended byte by byte to both packet edges,
 * across chunk boundaries: a run of old chunks plus partial chunks at the
 * edges is ONE reference (dist, len); new bytes stay literals. The decoder
 * keeps only the byte cache and copies ranges. Bytes a match already covers
 * (most of a repeated transfer) are neither chunked nor indexed again: the
 * chunker jumps to the match's end and continues from the source's
 * boundaries (cut-map.ts), which keeps the encoder near its memcmp speed there.
 *
 * Loss and reordering can never corrupt data:
 * - each message carries the cache position of its bytes, so the decoder
 *   stores them where the encoder did whatever arrived before or got lost;
 * - the decoder tracks, byte-exactly, which positions it holds (HeldMap); a
 *   reference to anything else is a miss (DECODE_MISS), never garbage;
 * - the encoder references bytes of packets reported delivered (onDelivered)
 *   and, with gating 'flow' (the default), a flow's own earlier bytes (the
 *   tunnel delivers a flow in order), except ranges reported lost; gating
 *   'acked' allows only the former. Every fingerprint hit is byte-compared;
 * - a miss is recovered: the decoder's MISS message makes the encoder resend
 *   the lost packet holding the missing source (or, asked so, the missed
 *   packet itself) as a RESEND, which decodes like any message.
 *
 * API (all calls synchronous, no allocation per packet):
 * ```ts
 * const enc = new ReEncoder({ cacheBytes: 64 << 20, anchor: 128 });   // gating: 'flow'
 * const dec = new ReDecoder({ cacheBytes: 64 << 20 });                // same cacheBytes
 *
 * // sender, per TCP payload of a flow (out: payload.length + 5 bytes or more)
 * const len = enc.encode(flowKey, payload, out);
 * if (len < 0) sendRaw(payload);                 // too short: not cached, no RE flag
 * else { sendReEncoded(out.subarray(0, len)); tokenOfThisPacket = enc.lastToken; }
 * enc.onDelivered(token);                        // when the tunnel learns the packet arrived
 * enc.onLost(token);                             // when it proves the packet lost (needed for gating 'flow')
 *
 * // receiver, per RE-flagged payload
 * const n = dec.decode(flowKey, msg, out);      // n ≥ 0: out[0, n) is the payload
 * if (n === DECODE_MISS) { const m = dec.writeMissRequest(buf); sendToPeer(buf.subarray(0, m)); }
 * // n === DECODE_MALFORMED: dropped and counted (dec.malformed)
 *
 * // sender, on a MISS message from the peer
 * const r = enc.onMissRequest(missMsg, out);     // r ≥ 0: send out[0, r) (a RESEND) to the peer;
 *                                                // r < 0: nothing new to resend
 * // receiver, on a RESEND: dec.decode() stores its bytes; if dec.lastPos is the missed packet's
 * // position they are its payload, otherwise decode the missed packet again
 * ```
 * The data plane's side of this (keeping missed packets, retries, giving
 * up) is src/core/link/re-codec.ts. `literalCodec: 'deflate'` (encoder
 * option; the decoder reads either) deflates each packet's literal bytes on
 * their own when that is smaller (PACKET_Z, literal-codec.ts).
 * Raw payloads (encode returned -1) do not enter either cache. Counters are
 * plain fields: encoder packets, rawPackets, literalPackets, bytesIn,
 * bytesOut, hits, matchedBytes, resends, resendsRefused, lostPackets, memoryBytes; decoder
 * packets, bytesIn, bytesOut, refBytes, misses, recoveries, malformed,
 * memoryBytes. Wire layout: re-format.ts.
 */
export { ReEncoder, type ReEncoderOptions, type ReGating } from './encoder';
export { ReDecoder, DECODE_MISS, DECODE_MALFORMED, type ReDecoderOptions } from './decoder';
export { maxEncodedLength } from './re-format';
export type { LiteralCodec } from './literal-codec';
export { measureThroughput, simulateTransfer, type TransferSimOptions, type TransferSimResult } from './transfer-sim';
