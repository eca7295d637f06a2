/**
 * braid's Noise_IK_25519_ChaChaPoly_BLAKE2s against dissononce, an
 * independent Python implementation: the same fixed keys give the same
 * bytes, and a full braid handshake plus transport datagrams work with
 * dissononce on either side (test/interop/noise_peer.py).
 */
import { expect } from 'chai';
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { SecureEndpoint, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { readInitiation, readResponse, writeInitiation, writeResponse, writeNonce } from '../../src/core/session/noise';
import { sodium } from '../../src/core/session/sodium';
import { encodeFrame, frameSize } from '../../src/core/wire/frame-encoder';
import type { Frame } from '../../src/core/wire/frames';

const repo = path.resolve(__dirname, '..', '..', '..');
const PEER = path.join(repo, 'test', 'interop', 'noise_peer.py');
const PYTHON = '/usr/bin/python3'; // the Debian python that has python3-dissononce

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** A noise_peer.py process spoken to in JSON lines. */
class PyPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private stderr = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;

  constructor(args: string[]) {
    this.proc = spawn(PYTHON, [PEER, ...args]);
    this.proc.stdout.on('data', (c: Buffer) => {
      this.buf += c.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.waiter?.();
    });
    this.proc.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.proc.on('exit', () => this.waiter?.());
  }

  send(obj: unknown): void {
    this.proc.stdin.write(JSON.stringify(obj) + '\n');
  }

  async next(): Promise<Record<string, string>> {
    const deadline = Date.now() + 20_000;
    while (this.lines.length === 0) {
      if (this.proc.exitCode !== null || Date.now() > deadline) throw new Error(`noise_peer.py: no output; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 200);
      });
    }
    return JSON.parse(this.lines.shift()!) as Record<string, string>;
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

function frameBytes(f: Frame): string {
  const b = new Uint8Array(frameSize(f));
  encodeFrame(f, b, 0);
  return hex(b);
}

describe('noise interop with dissononce', function () {
  this.timeout(60_000);
  let py: PyPeer | null = null;

  before(function () {
    const r = spawnSync(PYTHON, ['-c', 'import dissononce']);
    if (r.status !== 0) throw new Error('python3-dissononce is not installed (apt-get install python3-dissononce)');
  });

  afterEach(() => {
    py?.kill();
    py = null;
  });

  it('produces the same handshake messages and transport keys from the same fixed keys', async () => {
    const rnd = new SeededRandomBytes(31);
    const keys = ['si', 'sr', 'ei', 'er'].map(() => {
      const privateKey = generatePrivateKey(rnd);
      return { privateKey, publicKey: publicKeyOf(privateKey) };
    });
    const [si, sr, ei, er] = keys;
    const p1 = Uint8Array.of(0x09, 1, 2, 3, 4, 5, 6, 7, 8);
    const p2 = new Uint8Array(0);
    py = new PyPeer(['vectors']);
    py.send({ si: hex(si.privateKey), sr: hex(sr.privateKey), ei: hex(ei.privateKey), er: hex(er.privateKey), p1: hex(p1), p2: hex(p2) });
    const v = await py.next();

    const w1 = writeInitiation(si, sr.publicKey, ei, p1)!;
    const m1 = Buffer.concat([w1.message.ephemeral, w1.message.encryptedStatic, w1.message.encryptedPayload]);
    expect(hex(m1)).to.equal(v.m1);
    const rx = readInitiation(sr, w1.message)!;
    expect(hex(rx.payload)).to.equal(hex(p1));
    const w2 = writeResponse(rx, er, p2)!;
    expect(hex(Buffer.concat([w2.message.ephemeral, w2.message.encryptedPayload]))).to.equal(v.m2);
    const r2 = readResponse(w1.handshake, si, w2.message)!;

    const seal = (key: Uint8Array, n: number, text: string): string => {
      const msg = new TextEncoder().encode(text);
      const out = new Uint8Array(msg.length + 16);
      const nonce = new Uint8Array(12);
      writeNonce(nonce, n);
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, msg, new TextEncoder().encode('ad'), null, nonce, key);
      return hex(out);
    };
    expect(seal(r2.keys.sendKey, 5, 'to responder')).to.equal(v.t1);
    expect(seal(w2.keys.sendKey, 7, 'to initiator')).to.equal(v.t2);
    expect(hex(r2.keys.receiveKey)).to.equal(hex(w2.keys.sendKey));
  });

  function endpoints(): { braid: SecureEndpoint; braidKey: Uint8Array; pyKey: Uint8Array } {
    const rnd = new SeededRandomBytes(32);
    const braidKey = generatePrivateKey(rnd);
    const pyKey = generatePrivateKey(rnd);
    const braid = new SecureEndpoint({
      privateKey: braidKey,
      peers: [{ publicKey: publicKeyOf(pyKey), name: 'dissononce' }],
      random: new SeededRandomBytes(33),
      epochOffsetMs: Date.UTC(2026, 0, 1),
    });
    return { braid, braidKey, pyKey };
  }

  it('braid responder completes a handshake with a dissononce initiator and exchanges frames', async () => {
    const { braid, braidKey, pyKey } = endpoints();
    py = new PyPeer(['initiator', hex(pyKey), hex(publicKeyOf(braidKey)), String(Date.UTC(2026, 0, 2) * 1000)]);
    const init = unhex((await py.next()).datagram);
    const r1 = braid.handleDatagram(0, init);
    expect(r1.kind).to.equal('send');
    if (r1.kind !== 'send') return;
    py.send({ datagram: hex(r1.datagrams[0]) });

    const r2 = braid.handleDatagram(1, unhex((await py.next()).datagram));
    expect(r2).to.deep.equal({ kind: 'frame', peer: 0, frame: { close: { reason: 'hello from dissononce' } } });
    expect(braid.sessionInfo(0, 1).established).to.equal(true);

    const frame: Frame = { data: { seq: 1, pathId: 3, pathSeq: 1, prevSeq: 0, flow: 42, flags: 8, sendTimeUs: 123, payload: Uint8Array.of(1, 2, 3) } };
    py.send({ datagram: hex(braid.sealFrame(2, 0, frame)!) });
    expect((await py.next()).frame).to.equal(frameBytes(frame));
  });

  it('braid initiator completes a handshake with a dissononce responder and exchanges frames', async () => {
    const { braid, braidKey, pyKey } = endpoints();
    py = new PyPeer(['responder', hex(pyKey), hex(publicKeyOf(braidKey))]);
    py.send({ datagram: hex(braid.connect(5000, 0)[0]) });
    const resp = await py.next();
    expect(Number(resp.timestamp)).to.equal((Date.UTC(2026, 0, 1) + 5000) * 1000);
    const r1 = braid.handleDatagram(5001, unhex(resp.datagram));
    expect(r1.kind).to.equal('established');
    if (r1.kind !== 'established') return;
    py.send({ datagram: hex(r1.datagrams[0]) });
    expect((await py.next()).frame).to.equal(''); // the empty key-confirmation frame
    const r2 = braid.handleDatagram(5002, unhex((await py.next()).datagram));
    expect(r2).to.deep.equal({ kind: 'frame', peer: 0, frame: { close: { reason: 'hello from dissononce' } } });
  });
});
