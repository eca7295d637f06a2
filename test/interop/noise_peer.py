#!/usr/bin/python3
"""An independent braid peer built on dissononce (a Python Noise library),
for test/integration/noise-interop.test.ts. It speaks braid's handshake and
transport datagrams with dissononce doing all of the Noise work, so the test
proves braid's Noise_IK_25519_ChaChaPoly_BLAKE2s matches another
implementation byte for byte.

Usage (JSON lines on stdin/stdout):
  noise_peer.py initiator PRIV_HEX RESPONDER_PUB_HEX TIMESTAMP_US
  noise_peer.py responder PRIV_HEX INITIATOR_PUB_HEX
  noise_peer.py vectors   (one JSON line in: fixed keys and payloads; one out: the messages)
"""
import hashlib
import json
import struct
import sys

from dissononce.cipher.chachapoly import ChaChaPolyCipher
from dissononce.dh.x25519.private import PrivateKey
from dissononce.dh.x25519.public import PublicKey
from dissononce.dh.x25519.x25519 import X25519DH
from dissononce.hash.blake2s import Blake2sHash
from dissononce.processing.handshakepatterns.interactive.IK import IKHandshakePattern
from dissononce.processing.impl.cipherstate import CipherState
from dissononce.processing.impl.handshakestate import HandshakeState
from dissononce.processing.impl.symmetricstate import SymmetricState

PROLOGUE = b"braid/1"
T_INIT, T_RESP, T_DATA = 1, 2, 4


def new_handshake(initiator, s, rs=None, e=None):
    hs = HandshakeState(SymmetricState(CipherState(ChaChaPolyCipher()), Blake2sHash()), X25519DH())
    hs.initialize(IKHandshakePattern(), initiator, PROLOGUE, s=s, rs=rs, e=e)
    return hs


def keypair(priv_hex):
    return X25519DH().generate_keypair(PrivateKey(bytes.fromhex(priv_hex)))


def mac1(data, receiver_pub):
    key = hashlib.blake2b(b"braid-mac1" + receiver_pub, digest_size=32).digest()
    return hashlib.blake2b(data, digest_size=16, key=key).digest()


def fld_bytes(number, value):
    return bytes([(number << 3) | 2, len(value)]) + value


def fld_fixed32(number, value):
    return bytes([(number << 3) | 5]) + struct.pack("<I", value)


def initiation(sender, e, enc_s, enc_payload, receiver_pub):
    body = bytes([T_INIT]) + fld_fixed32(1, sender) + fld_bytes(2, e) + fld_bytes(3, enc_s) + fld_bytes(4, enc_payload)
    return body + fld_bytes(5, mac1(body, receiver_pub)) + fld_bytes(6, bytes(16))


def response(sender, receiver, e, enc_payload, receiver_pub):
    body = bytes([T_RESP]) + fld_fixed32(1, sender) + fld_fixed32(2, receiver) + fld_bytes(3, e) + fld_bytes(4, enc_payload)
    return body + fld_bytes(5, mac1(body, receiver_pub)) + fld_bytes(6, bytes(16))


def check_mac1(d, mac_at, own_pub):
    assert d[mac_at:mac_at + 2] == bytes([0x2A, 0x10]), "mac1 field key"
    assert d[mac_at + 2:mac_at + 18] == mac1(d[:mac_at], own_pub), "mac1 mismatch"


def transport(cipher, receiver, counter, frame):
    header = bytes([T_DATA]) + struct.pack("<IQ", receiver, counter)
    cipher.set_nonce(counter)
    return header + cipher.encrypt_with_ad(header, frame)


def open_transport(cipher, d):
    header = d[:13]
    assert header[0] == T_DATA
    counter = struct.unpack("<Q", header[5:13])[0]
    cipher.set_nonce(counter)
    return cipher.decrypt_with_ad(header, d[13:])


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def recv():
    return json.loads(sys.stdin.readline())


def close_frame(reason):
    inner = fld_bytes(1, reason.encode())
    return fld_bytes(6, inner)


def run_initiator(priv_hex, rpub_hex, ts):
    s = keypair(priv_hex)
    rpub = bytes.fromhex(rpub_hex)
    hs = new_handshake(True, s, rs=PublicKey(rpub))
    msg = bytearray()
    hs.write_message(b"\x09" + struct.pack("<Q", int(ts)), msg)
    msg = bytes(msg)
    sender = 0x01020304
    send({"datagram": initiation(sender, msg[:32], msg[32:80], msg[80:], rpub).hex()})

    d = bytes.fromhex(recv()["datagram"])
    assert len(d) == 99 and d[0] == T_RESP
    check_mac1(d, 63, s.public.data)
    assert struct.unpack("<I", d[7:11])[0] == sender
    responder_index = struct.unpack("<I", d[2:6])[0]
    payload = bytearray()
    c_send, c_recv = hs.read_message(d[13:45] + d[47:63], payload)
    assert bytes(payload) == b""

    send({"datagram": transport(c_send, responder_index, 0, close_frame("hello from dissononce")).hex()})
    d = bytes.fromhex(recv()["datagram"])
    send({"frame": open_transport(c_recv, d).hex()})


def run_responder(priv_hex, ipub_hex):
    s = keypair(priv_hex)
    hs = new_handshake(False, s)
    d = bytes.fromhex(recv()["datagram"])
    assert len(d) == 153 and d[0] == T_INIT
    check_mac1(d, 117, s.public.data)
    initiator_index = struct.unpack("<I", d[2:6])[0]
    payload = bytearray()
    hs.read_message(d[8:40] + d[42:90] + d[92:117], payload)
    assert hs.rs.data.hex() == ipub_hex, "initiator static key"
    assert len(payload) == 9 and payload[0] == 0x09
    ts = struct.unpack("<Q", bytes(payload[1:9]))[0]

    msg = bytearray()
    c_recv, c_send = hs.write_message(b"", msg)
    msg = bytes(msg)
    sender = 0x0A0B0C0D
    send({"datagram": response(sender, initiator_index, msg[:32], msg[32:], bytes.fromhex(ipub_hex)).hex(), "timestamp": ts})

    d = bytes.fromhex(recv()["datagram"])
    assert struct.unpack("<I", d[1:5])[0] == sender
    send({"frame": open_transport(c_recv, d).hex()})
    send({"datagram": transport(c_send, initiator_index, 0, close_frame("hello from dissononce")).hex()})


def run_vectors():
    v = recv()
    si, sr = keypair(v["si"]), keypair(v["sr"])
    ei, er = keypair(v["ei"]), keypair(v["er"])
    ini = new_handshake(True, si, rs=PublicKey(sr.public.data), e=None)
    res = new_handshake(False, sr)
    # dissononce generates e itself in write_message; fix it by handing the keypair to its DH
    ini._e = None
    ini._dh.generate_keypair = lambda privatekey=None: ei
    res._dh.generate_keypair = lambda privatekey=None: er
    m1 = bytearray()
    ini.write_message(bytes.fromhex(v["p1"]), m1)
    p = bytearray()
    res.read_message(bytes(m1), p)
    m2 = bytearray()
    r_recv, r_send = res.write_message(bytes.fromhex(v["p2"]), m2)
    p = bytearray()
    i_send, i_recv = ini.read_message(bytes(m2), p)
    i_send.set_nonce(5)
    r_send.set_nonce(7)
    send({
        "m1": bytes(m1).hex(),
        "m2": bytes(m2).hex(),
        "t1": i_send.encrypt_with_ad(b"ad", b"to responder").hex(),
        "t2": r_send.encrypt_with_ad(b"ad", b"to initiator").hex(),
    })


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "initiator":
        run_initiator(*sys.argv[2:5])
    elif role == "responder":
        run_responder(*sys.argv[2:4])
    elif role == "vectors":
        run_vectors()
    else:
        sys.exit("unknown role " + role)
