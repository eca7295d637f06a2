/**
 * One side of a lab probe (see probe.ts), run inside a lab namespace:
 *   node probe-main.js recv BIND_ADDR COUNT IDLE_MS
 *     binds an ephemeral UDP port, prints "ready PORT", records every probe's
 *     sequence number and one-way delay, prints one JSON line when COUNT
 *     arrived or nothing came for IDLE_MS.
 *   node probe-main.js send SRC_ADDR DST_ADDR PORT COUNT INTERVAL_MS SIZE
 *     sends COUNT probes of SIZE bytes, one every INTERVAL_MS (sub-ms: in bursts).
 * Both sides read CLOCK_MONOTONIC (process.hrtime), shared by every process
 * on the machine, so one-way delays are exact.
 */
import * as dgram from 'dgram';

const HEADER = 12; // u32 seq + u64 send time (ns)

function nowNs(): bigint {
  return process.hrtime.bigint();
}

function recv(bind: string, count: number, idleMs: number): void {
  const sock = dgram.createSocket('udp4');
  const seqs: number[] = [];
  const delays: number[] = [];
  let idle: NodeJS.Timeout | null = null;
  const finish = (): void => {
    process.stdout.write(JSON.stringify({ seqs, delaysMs: delays }) + '\n');
    sock.close();
  };
  sock.on('message', (msg) => {
    const t = nowNs();
    if (msg.length < HEADER) return;
    seqs.push(msg.readUInt32BE(0));
    delays.push(Number(t - msg.readBigUInt64BE(4)) / 1e6);
    if (seqs.length >= count) {
      if (idle) clearTimeout(idle);
      finish();
      return;
    }
    if (idle) idle.refresh();
    else idle = setTimeout(finish, idleMs);
  });
  sock.bind(0, bind, () => {
    process.stdout.write(`ready ${sock.address().port}\n`);
    // Nothing at all arrives during a full outage: give up after the idle time plus the send time.
    idle = setTimeout(finish, idleMs + Number(process.env.BRAID_PROBE_SEND_MS ?? 0));
  });
}

function send(src: string, dst: string, port: number, count: number, intervalMs: number, size: number): void {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, src, () => {
    const start = performance.now();
    let seq = 0;
    const tick = (): void => {
      const due = Math.min(count, Math.floor((performance.now() - start) / intervalMs) + 1);
      for (; seq < due; seq++) {
        // dgram sends asynchronously from the buffer given: a fresh one per probe.
        const buf = Buffer.alloc(Math.max(HEADER, size));
        buf.writeUInt32BE(seq, 0);
        buf.writeBigUInt64BE(nowNs(), 4);
        sock.send(buf, port, dst);
      }
      if (seq < count) setTimeout(tick, Math.min(1, intervalMs));
      else setTimeout(() => sock.close(), 50); // let the last sends leave
    };
    tick();
  });
}

const [mode, ...a] = process.argv.slice(2);
if (mode === 'recv') recv(a[0], Number(a[1]), Number(a[2]));
else if (mode === 'send') send(a[0], a[1], Number(a[2]), Number(a[3]), Number(a[4]), Number(a[5]));
else {
  process.stderr.write('usage: probe-main.js recv BIND COUNT IDLE_MS | send SRC DST PORT COUNT INTERVAL_MS SIZE\n');
  process.exit(2);
}
