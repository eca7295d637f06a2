/**
 * Handshake datagrams are fixed layouts and valid protobuf at once: after the
 * type byte, protobufjs decodes them as the messages in proto/braid.proto.
 */
import { expect } from 'chai';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { SecureEndpoint, SeededRandomBytes, generatePrivateKey, publicKeyOf } from '../../src/core/session';
import { COOKIE_REPLY, INITIATION, RESPONSE, readU32 } from '../../src/core/wire/handshake-messages';

const root = protobuf.loadSync(path.join(__dirname, '..', '..', '..', 'proto', 'braid.proto'));

function decode(type: string, d: Uint8Array): Record<string, unknown> {
  const T = root.lookupType(`braid.${type}`);
  return T.toObject(T.decode(d.subarray(1)), { bytes: Array }) as Record<string, unknown>;
}

describe('wire: handshake messages are protobuf', () => {
  const rnd = new SeededRandomBytes(51);
  const ka = generatePrivateKey(rnd);
  const kb = generatePrivateKey(rnd);
  const a = new SecureEndpoint({ privateKey: ka, peers: [{ publicKey: publicKeyOf(kb) }], random: new SeededRandomBytes(52) });
  const b = new SecureEndpoint({
    privateKey: kb,
    peers: [{ publicKey: publicKeyOf(ka) }],
    random: new SeededRandomBytes(53),
    cookieReplies: true,
    limits: { globalBurst: 1, globalPerSecond: 1 },
  });

  it('initiation, response and cookie reply decode with protobufjs to fields of the documented sizes', () => {
    const init = a.connect(0, 0)[0];
    expect(init).to.have.length(INITIATION.size);
    const i = decode('HandshakeInitiation', init);
    expect(i.senderIndex).to.equal(readU32(init, 2));
    expect((i.ephemeral as number[]).length).to.equal(32);
    expect((i.encryptedStatic as number[]).length).to.equal(48);
    expect((i.encryptedPayload as number[]).length).to.equal(25);
    expect((i.mac1 as number[]).length).to.equal(16);
    expect(i.mac2).to.deep.equal(new Array(16).fill(0));

    const r = b.handleDatagram(0, init.slice(), 'src');
    if (r.kind !== 'send') throw new Error(`expected a response, got ${r.kind}`);
    const resp = r.datagrams[0];
    expect(resp).to.have.length(RESPONSE.size);
    const o = decode('HandshakeResponse', resp);
    expect(o.receiverIndex).to.equal(i.senderIndex);
    expect(o.senderIndex).to.be.a('number').and.not.equal(0);
    expect((o.encryptedPayload as number[]).length).to.equal(16);

    // b has spent its budget of 1: the next initiation gets a cookie reply
    a.connect(10_000, 0);
    const again = a.connect(20_000, 0)[0];
    const c = b.handleDatagram(1, again.slice(), 'src');
    if (c.kind !== 'reply') throw new Error(`expected a cookie reply, got ${c.kind}`);
    expect(c.datagrams[0]).to.have.length(COOKIE_REPLY.size);
    const k = decode('CookieReply', c.datagrams[0]);
    expect(k.receiverIndex).to.equal(readU32(again, 2));
    expect((k.nonce as number[]).length).to.equal(24);
    expect((k.encryptedCookie as number[]).length).to.equal(32);
  });
});
