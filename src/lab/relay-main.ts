/**
 * The relay process of one lab path, started by labUp inside the path's
 * middle namespace:
 *   ip netns exec <lab>-p<k> node relay-main.js <stateDir> <path> [seed]
 * It attaches the two TUNs the lab created there, serves the control socket
 * and runs until SIGTERM or a `stop` request.
 */
import { randomInt } from 'crypto';
import { performance } from 'perf_hooks';
import { Tun } from '../io/tun';
import { SeededRandom } from '../core/random';
import { log } from '../log';
import { serveControl, type ControlReply, type ControlRequest, type RelayStatus } from './control';
import { Relay } from './relay';
import { readLabState, relaySocket } from './state';
import { directionParams, TUN_DOWN, TUN_UP } from './topology';

function main(): void {
  const [stateDir, pathName, seedArg] = process.argv.slice(2);
  const name = stateDir.split('/').filter(Boolean).pop() as string;
  const state = readLabState(name);
  const path = state?.info.paths.find((p) => p.name === pathName);
  if (!state || !path || state.info.stateDir !== stateDir) {
    log('error', 'lab_relay_no_state', { stateDir, path: pathName });
    process.exit(2);
  }
  const seed = seedArg !== undefined ? Number(seedArg) : randomInt(2 ** 31);
  const up = Tun.open(TUN_UP);
  const down = Tun.open(TUN_DOWN);
  // A relay that cannot read its TUN would leave the path silently dead: exit, so status says so.
  up.onError = down.onError = (err): void => {
    log('error', 'lab_relay_tun_failed', { path: pathName, error: err.message });
    process.exit(1);
  };
  const relay = new Relay({
    up,
    down,
    randomUp: new SeededRandom(seed),
    randomDown: new SeededRandom(seed ^ 0x5bd1e995),
    paramsUp: directionParams(path, 'up'),
    paramsDown: directionParams(path, 'down'),
    now: () => performance.now(),
  });
  relay.start();

  const stop = (): void => {
    relay.stop();
    server.close();
    process.exit(0);
  };
  const status = (): RelayStatus => ({ pid: process.pid, paramsUp: relay.params('up'), paramsDown: relay.params('down'), ...relay.counters() });
  const handle = (req: ControlRequest): ControlReply => {
    switch (req.op) {
      case 'status':
        return { ok: true, status: status() };
      case 'set':
        relay.configure(req.params, req.direction ?? 'both');
        log('info', 'lab_relay_set', { path: pathName, direction: req.direction ?? 'both', params: req.params });
        return { ok: true, status: status() };
      case 'stop':
        setImmediate(stop);
        return { ok: true };
      default:
        return { ok: false, error: `unknown op '${(req as { op: string }).op}'` };
    }
  };
  const server = serveControl(relaySocket(stateDir, pathName), handle);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  log('info', 'lab_relay_started', { lab: name, path: pathName, seed, pid: process.pid });
}

main();
