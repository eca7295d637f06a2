/*
 * UDP path sockets: the options Node's dgram cannot set (SO_BINDTODEVICE,
 * SO_MARK, IP_MTU_DISCOVER, UDP_GRO, forced buffer sizes) and batched sends
 * with sendmmsg, optionally as UDP GSO runs. Receiving is in reader.c.
 * Socket addresses cross to JS as raw struct sockaddr bytes so the hot path
 * never formats or parses strings.
 */
#include "braid.h"
#include "napi-helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SEND_CHUNK 64
/* Most datagrams in one GSO send (the kernel's UDP_MAX_SEGMENTS is 64 or more) and
 * their total payload (under the 65507 bytes one IPv4 UDP datagram can carry). */
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

static int set_int(int fd, int level, int opt, int value) {
  return setsockopt(fd, level, opt, &value, sizeof value);
}

/* Fills sa from (family, address, port); returns its length or 0 on a bad address. */
static socklen_t fill_sockaddr(int family, const char *addr, int port, struct sockaddr_storage *sa) {
  memset(sa, 0, sizeof *sa);
  if (family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (addr[0] && inet_pton(AF_INET, addr, &s4->sin_addr) != 1) return 0;
    return sizeof *s4;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
  char host[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  snprintf(host, sizeof host, "%s", addr);
  char *scope = strchr(host, '%');
  if (scope) {
    *scope++ = 0;
    s6->sin6_scope_id = if_nametoindex(scope);
    if (!s6->sin6_scope_id) return 0;
  }
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons((uint16_t)port);
  if (host[0] && inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) return 0;
  return sizeof *s6;
}

#define FAIL(what)                         \
  do {                                     \
    int err_ = errno;                      \
    close(fd);                             \
    return throw_errno(env, err_, what);   \
  } while (0)

/*
 * udpOpen(family, address, port, device, mark, pmtud, rcvbuf, sndbuf) -> fd.
 * pmtud: 0 = kernel default, 1 = IP_PMTUDISC_PROBE (DF set, ignore cached
 * path MTU: for probing), 2 = IP_PMTUDISC_DO. Options are set before bind()
 * so the socket never sees a packet on the wrong interface.
 */
napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  int32_t family, port, mark, pmtud, rcvbuf, sndbuf;
  char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 2], device[IFNAMSIZ];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8 || !arg_int(env, argv[0], &family) || !arg_string(env, argv[1], addr, sizeof addr) ||
      !arg_int(env, argv[2], &port) || !arg_string(env, argv[3], device, sizeof device) ||
      !arg_int(env, argv[4], &mark) || !arg_int(env, argv[5], &pmtud) || !arg_int(env, argv[6], &rcvbuf) ||
      !arg_int(env, argv[7], &sndbuf)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpOpen(family, address, port, device, mark, pmtud, rcvbuf, sndbuf)");
    return NULL;
  }
  struct sockaddr_storage sa;
  socklen_t salen = fill_sockaddr(family, addr, port, &sa);
  if (!salen) return throw_errno(env, EINVAL, "inet_pton");
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (device[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, strlen(device)) < 0) FAIL("setsockopt SO_BINDTODEVICE");
  if (mark && set_int(fd, SOL_SOCKET, SO_MARK, mark) < 0) FAIL("setsockopt SO_MARK");
  if (pmtud) {
    int v4 = pmtud == 1 ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DO;
    int v6 = pmtud == 1 ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DO;
    if (family == 4 ? set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, v4) < 0
                    : set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, v6) < 0)
      FAIL("setsockopt IP_MTU_DISCOVER");
  }
  /* The FORCE variants pass rmem_max/wmem_max when privileged; fall back otherwise. */
  if (rcvbuf > 0 && set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf) < 0 &&
      set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf) < 0)
    FAIL("setsockopt SO_RCVBUF");
  if (sndbuf > 0 && set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf) < 0 &&
      set_int(fd, SOL_SOCKET, SO_SNDBUF, sndbuf) < 0)
    FAIL("setsockopt SO_SNDBUF");
  if (bind(fd, (struct sockaddr *)&sa, salen) < 0) FAIL("bind");
  return make_int(env, fd);
}

/* sockaddrMake(family, address, port) -> Buffer holding a struct sockaddr_in/in6. */
napi_value sockaddr_make(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t family, port;
  char addr[INET6_ADDRSTRLEN + IFNAMSIZ + 2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !arg_int(env, argv[0], &family) || !arg_string(env, argv[1], addr, sizeof addr) ||
      !arg_int(env, argv[2], &port)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "sockaddrMake(family, address, port)");
    return NULL;
  }
  struct sockaddr_storage sa;
  socklen_t len = fill_sockaddr(family, addr, port, &sa);
  if (!len) return throw_errno(env, EINVAL, "inet_pton");
  napi_value buf;
  CHECK(napi_create_buffer_copy(env, len, &sa, NULL, &buf));
  return buf;
}

/* sockaddrFormat(raw) -> [family 4|6, address, port]; [0, "", 0] for anything else. */
napi_value sockaddr_format(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !arg_bytes(env, argv[0], &data, &len)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "sockaddrFormat(raw)");
    return NULL;
  }
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  memcpy(&sa, data, len < sizeof sa ? len : sizeof sa);
  char text[INET6_ADDRSTRLEN] = "";
  int family = 0, port = 0;
  if (sa.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    inet_ntop(AF_INET, &s4->sin_addr, text, sizeof text);
    family = 4, port = ntohs(s4->sin_port);
  } else if (sa.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof text);
    family = 6, port = ntohs(s6->sin6_port);
  }
  napi_value out, s;
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s));
  CHECK(napi_set_element(env, out, 0, make_int(env, family)));
  CHECK(napi_set_element(env, out, 1, s));
  CHECK(napi_set_element(env, out, 2, make_int(env, port)));
  return out;
}

/* udpConnect(fd, raw): fixes the default destination and filters what arrives to it. */
napi_value udp_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  void *raw;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &raw, &len) || !raw) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpConnect(fd, sockaddr)");
    return NULL;
  }
  if (connect(fd, raw, (socklen_t)len) < 0) return throw_errno(env, errno, "connect");
  return NULL;
}

/* udpSockname(fd) -> raw sockaddr of the local end. */
napi_value udp_sockname(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpSockname(fd)");
    return NULL;
  }
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) return throw_errno(env, errno, "getsockname");
  napi_value buf;
  CHECK(napi_create_buffer_copy(env, len, &sa, NULL, &buf));
  return buf;
}

/* udpSend(fd, packet, dest|null) -> 0 or errno. */
napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd;
  void *data, *dest;
  size_t len, dlen;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len) ||
      !arg_bytes(env, argv[2], &dest, &dlen)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpSend(fd, packet, dest)");
    return NULL;
  }
  for (;;) {
    if (sendto(fd, data, len, 0, dest, (socklen_t)dlen) >= 0) return make_int(env, 0);
    if (errno != EINTR) return make_int(env, errno);
  }
}

/* One sendmmsg message: a run of datagrams (iovs[first .. first+segs)) to one destination. */
typedef struct {
  int first, segs;
} run_t;

/* The caller's arrays, read once per chunk: where each datagram is and where it goes. */
typedef struct {
  int fd;
  struct iovec iovs[SEND_CHUNK];
  void *names[SEND_CHUNK];
  socklen_t name_lens[SEND_CHUNK];
  int32_t sent, dropped, failed, last, gso_sends, gso_segments, gso_refused, gso_errno;
} send_state;

static int same_dest(const send_state *st, int a, int b) {
  return st->name_lens[a] == st->name_lens[b] &&
         (st->names[a] == st->names[b] || !st->names[a] || memcmp(st->names[a], st->names[b], st->name_lens[a]) == 0);
}

/*
 * Splits datagrams [0, n) into runs UDP_SEGMENT can carry: consecutive, to
 * the same destination, all as long as the first except a shorter last one,
 * at most max_segs of them and GSO_MAX_BYTES in total. Without GSO every
 * datagram is its own run. Returns the number of runs.
 */
static int make_runs(const send_state *st, int n, int max_segs, run_t *runs) {
  int m = 0;
  for (int i = 0; i < n;) {
    size_t seg = st->iovs[i].iov_len, total = seg;
    int j = i + 1;
    if (max_segs > 1 && seg > 0) {
      while (j < n && j - i < max_segs && same_dest(st, i, j)) {
        size_t len = st->iovs[j].iov_len;
        if (len == 0 || len > seg || total + len > GSO_MAX_BYTES) break;
        total += len;
        j++;
        if (len < seg) break; /* a shorter datagram can only end a run */
      }
    }
    runs[m].first = i;
    runs[m].segs = j - i;
    m++;
    i = j;
  }
  return m;
}

static void fill_msg(send_state *st, struct mmsghdr *msg, const run_t *run, char *ctrl) {
  memset(msg, 0, sizeof *msg);
  msg->msg_hdr.msg_iov = &st->iovs[run->first];
  msg->msg_hdr.msg_iovlen = (size_t)run->segs;
  msg->msg_hdr.msg_name = st->names[run->first];
  msg->msg_hdr.msg_namelen = st->name_lens[run->first];
  if (run->segs > 1) {
    msg->msg_hdr.msg_control = ctrl;
    msg->msg_hdr.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg->msg_hdr);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t seg = (uint16_t)st->iovs[run->first].iov_len;
    memcpy(CMSG_DATA(cm), &seg, sizeof seg);
  }
}

/*
 * Sends runs[0, m) with sendmmsg. A run the kernel refuses as a GSO send
 * (EIO: no checksum offload on the route; EINVAL/EMSGSIZE: segment over the
 * path MTU, old kernel) is counted in gso_refused and sent again as separate
 * datagrams, which then succeed or fail one by one as without GSO. Returns 0,
 * or -1 when the send buffer is full (the rest of the batch is dropped).
 */
static int send_runs(send_state *st, run_t *runs, int m, int32_t remaining_after) {
  struct mmsghdr msgs[SEND_CHUNK];
  char ctrl[SEND_CHUNK][CMSG_SPACE(sizeof(uint16_t))] __attribute__((aligned(8)));
  for (int k = 0; k < m; k++) fill_msg(st, &msgs[k], &runs[k], ctrl[k]);
  int done = 0;
  while (done < m) {
    int r = sendmmsg(st->fd, msgs + done, (unsigned)(m - done), 0);
    if (r > 0) {
      for (int k = done; k < done + r; k++) {
        st->sent += runs[k].segs;
        if (runs[k].segs > 1) st->gso_sends++, st->gso_segments += runs[k].segs;
      }
      done += r;
      continue;
    }
    int err = r < 0 ? errno : EIO;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == ENOBUFS) {
      st->last = err;
      for (int k = done; k < m; k++) st->dropped += runs[k].segs; /* the queue is full: the rest would fail too */
      st->dropped += remaining_after;
      return -1;
    }
    if (runs[done].segs > 1) {
      st->gso_refused++;
      st->gso_errno = err;
      run_t singles[SEND_CHUNK];
      int s = 0;
      for (int i = 0; i < runs[done].segs; i++) singles[s].first = runs[done].first + i, singles[s++].segs = 1;
      int32_t after = remaining_after;
      for (int k = done + 1; k < m; k++) after += runs[k].segs;
      if (send_runs(st, singles, s, after) < 0) return -1;
    } else {
      st->last = err;
      st->failed++; /* skip the datagram the kernel refused */
    }
    done++;
  }
  return 0;
}

/*
 * udpSendBatch(fd, packets, count, dest|null, dests|null, out, maxSegments?):
 * sendmmsg in chunks of 64 datagrams. dest is one raw sockaddr for all (null
 * on a connected socket); dests is an array of raw sockaddrs, one per
 * datagram. maxSegments > 1 turns on UDP GSO: each run of consecutive
 * same-size datagrams to one destination (the last may be shorter) goes as
 * one message with a UDP_SEGMENT cmsg, which the kernel splits into the same
 * datagrams on the wire (or the NIC does). out (Int32Array(4), or (8) for
 * GSO) receives [sent, dropped (buffer full), failed (other errors), last
 * errno, GSO messages sent, datagrams in them, GSO refusals, their errno].
 * A failing datagram is skipped and the rest still go out.
 */
napi_value udp_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t fd, count, max_segs = 0;
  void *dest;
  size_t dest_len, out_len;
  int32_t *out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int per_dest = argc >= 5 && !is_nullish(env, argv[4]);
  if (argc < 6 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[2], &count) ||
      !arg_bytes(env, argv[3], &dest, &dest_len) || !arg_bytes(env, argv[5], (void **)&out, &out_len) ||
      out_len < 16 || (argc >= 7 && !is_nullish(env, argv[6]) && !arg_int(env, argv[6], &max_segs))) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpSendBatch(fd, packets, count, dest, dests, out, maxSegments)");
    return NULL;
  }
  if (out_len < 32 || max_segs < 2) max_segs = 0;
  if (max_segs > GSO_MAX_SEGMENTS) max_segs = GSO_MAX_SEGMENTS;
  send_state st;
  memset(&st, 0, sizeof st);
  st.fd = fd;
  run_t runs[SEND_CHUNK];
  for (int32_t base = 0; base < count; base += SEND_CHUNK) {
    int n = count - base < SEND_CHUNK ? count - base : SEND_CHUNK;
    for (int i = 0; i < n; i++) {
      napi_value el;
      size_t len;
      CHECK(napi_get_element(env, argv[1], (uint32_t)(base + i), &el));
      if (!arg_bytes(env, el, &st.iovs[i].iov_base, &len)) goto bad_element;
      st.iovs[i].iov_len = len;
      void *name = dest;
      size_t name_len = dest_len;
      if (per_dest) {
        CHECK(napi_get_element(env, argv[4], (uint32_t)(base + i), &el));
        if (!arg_bytes(env, el, &name, &name_len)) goto bad_element;
      }
      st.names[i] = name;
      st.name_lens[i] = (socklen_t)name_len;
    }
    int m = make_runs(&st, n, max_segs, runs);
    if (send_runs(&st, runs, m, count - base - n) < 0) break;
    if (st.gso_errno == EIO) max_segs = 0; /* the route cannot offload: the rest goes unsegmented */
  }
  out[0] = st.sent;
  out[1] = st.dropped;
  out[2] = st.failed;
  out[3] = st.last ? st.last : st.gso_errno;
  if (out_len >= 32) {
    out[4] = st.gso_sends;
    out[5] = st.gso_segments;
    out[6] = st.gso_refused;
    out[7] = st.gso_errno;
  }
  return NULL;
bad_element:
  napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpSendBatch: packets and dests must be Uint8Arrays");
  return NULL;
}

/* udpSetGro(fd, on) -> 0 or errno: with UDP_GRO the kernel may hand over
 * several same-size datagrams from one sender as one buffer; the reader then
 * reports the segment size (readerStart's segs) and JS splits it. */
napi_value udp_set_gro(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int on;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bool(env, argv[1], &on)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "udpSetGro(fd, on)");
    return NULL;
  }
  return make_int(env, set_int(fd, SOL_UDP, UDP_GRO, on ? 1 : 0) < 0 ? errno : 0);
}
