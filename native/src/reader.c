/*
 * Readiness-driven batch reads. A uv_poll handle watches the fd on Node's own
 * event loop (never the thread pool: blocked pool threads cap throughput and
 * hang process exit). On each wake-up C drains up to max_batch packets into a
 * slab the JS side owns and makes ONE JS callback with the count:
 *   - kind 0 (TUN): read() until EAGAIN; lengths[i] per packet;
 *   - kind 1 (UDP): one recvmmsg(); lengths[i] and the raw source sockaddr of
 *     message i at names[i * NAME_SLOT]. With a segs array (for sockets with
 *     UDP_GRO on), segs[i] is the segment size the kernel reports for a
 *     message that holds several coalesced datagrams, else 0; JS splits.
 * Packet i lives at slab[i * slot]. A negative count is -errno: the fd failed
 * for good and polling has stopped.
 * info (Int32Array(2)) counts transient socket errors (ICMP-reported
 * ECONNREFUSED and friends on connected sockets): [count, last errno].
 */
#include "braid.h"
#include "napi-helpers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define NAME_SLOT 32 /* >= sizeof(struct sockaddr_in6) */
#define KIND_TUN 0
#define KIND_UDP 1
#define KEEP 5
/* Room for one UDP_GRO cmsg (an int) per message. */
#define CTRL_SLOT CMSG_SPACE(sizeof(int))
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref keep[KEEP]; /* slab, lengths, names, info, segs: alive while C writes into them */
  napi_async_context async;
  int kind, fd, max_batch;
  size_t slot;
  uint8_t *slab, *names;
  int32_t *lengths, *info, *segs;
  char *ctrl; /* max_batch * CTRL_SLOT when segs is set */
  struct mmsghdr *msgs;
  struct iovec *iovs;
  napi_async_cleanup_hook_handle cleanup; /* lets a worker's teardown wait for uv_close */
  int closing, closed, orphaned;
} reader_t;

static void reader_free(reader_t *r) {
  free(r->msgs);
  free(r->iovs);
  free(r->ctrl);
  free(r);
}

static int drain_tun(reader_t *r) {
  int n = 0;
  while (n < r->max_batch) {
    ssize_t len = read(r->fd, r->slab + (size_t)n * r->slot, r->slot);
    if (len >= 0) {
      r->lengths[n++] = (int32_t)len;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN) {
      break;
    } else {
      return n > 0 ? n : -errno; /* deliver what we have; the error repeats on the next wake-up */
    }
  }
  return n;
}

static void note_transient(reader_t *r, int err) {
  r->info[0]++;
  r->info[1] = err;
}

/* segs[i] <- the UDP_GRO segment size of message i, 0 if it is one datagram. */
static void read_segment_sizes(reader_t *r, int n) {
  for (int i = 0; i < n; i++) {
    struct msghdr *h = &r->msgs[i].msg_hdr;
    int seg = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm; cm = CMSG_NXTHDR(h, cm))
      if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) memcpy(&seg, CMSG_DATA(cm), sizeof seg);
    r->segs[i] = seg;
  }
}

static int drain_udp(reader_t *r) {
  for (int i = 0; i < r->max_batch; i++) {
    r->msgs[i].msg_hdr.msg_namelen = NAME_SLOT;
    r->msgs[i].msg_hdr.msg_flags = 0;
    if (r->ctrl) r->msgs[i].msg_hdr.msg_controllen = CTRL_SLOT;
  }
  for (;;) {
    int n = recvmmsg(r->fd, r->msgs, (unsigned)r->max_batch, MSG_DONTWAIT, NULL);
    if (n >= 0) {
      for (int i = 0; i < n; i++) r->lengths[i] = (int32_t)r->msgs[i].msg_len;
      if (r->segs) read_segment_sizes(r, n);
      return n;
    }
    switch (errno) {
      case EINTR: continue;
      case EAGAIN: return 0;
      case ECONNREFUSED: case EHOSTUNREACH: case ENETUNREACH: case EHOSTDOWN: case ENETDOWN:
      case EMSGSIZE: case EPROTO: case ENOPROTOOPT: case ETIMEDOUT: case EPERM:
        note_transient(r, errno); /* an ICMP error was queued on the socket; data may follow */
        continue;
      default: return -errno;
    }
  }
}

/* libuv reports POLLERR as UV_EBADF and stops the handle. For a socket that
 * only means an ICMP error is pending: fetch it and keep polling. */
static int recover_socket_error(reader_t *r, uv_poll_cb cb) {
  int err = 0;
  socklen_t len = sizeof err;
  if (r->kind != KIND_UDP || getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return 0;
  if (err) note_transient(r, err);
  return uv_poll_start(&r->poll, UV_READABLE, cb) == 0;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  reader_t *r = handle->data;
  if (r->closing) return;
  if (status < 0 && !recover_socket_error(r, on_readable)) {
    uv_poll_stop(handle);
  } else {
    status = r->kind == KIND_TUN ? drain_tun(r) : drain_udp(r);
    if (status == 0) return;
    if (status < 0) uv_poll_stop(handle);
  }
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  napi_get_reference_value(env, r->callback, &cb);
  napi_get_global(env, &recv); /* make_callback wants an object receiver */
  napi_create_int32(env, status, &arg);
  if (napi_make_callback(env, r->async, recv, cb, 1, &arg, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc); /* becomes 'uncaughtException', like any event handler */
  }
  napi_close_handle_scope(env, scope);
}

static void release_js(reader_t *r) {
  napi_delete_reference(r->env, r->callback);
  for (int i = 0; i < KEEP; i++)
    if (r->keep[i]) napi_delete_reference(r->env, r->keep[i]);
  napi_async_destroy(r->env, r->async);
}

static void on_closed(uv_handle_t *handle) {
  reader_t *r = handle->data;
  r->closed = 1;
  if (r->cleanup) {
    napi_remove_async_cleanup_hook(r->cleanup);
    r->cleanup = NULL;
  }
  if (r->orphaned) reader_free(r);
}

/* The environment (a worker thread, or the process) is going away with the
 * reader still running. Close the handle; Node waits until on_closed removes
 * this hook before it unloads the addon (a plain cleanup hook would leave
 * libuv calling on_closed in an unloaded library). */
static void on_env_cleanup(napi_async_cleanup_hook_handle hook, void *data) {
  reader_t *r = data;
  if (!r->closing) {
    r->closing = 1;
    uv_poll_stop(&r->poll);
    uv_close((uv_handle_t *)&r->poll, on_closed);
  } else if (r->closed && r->cleanup) {
    napi_remove_async_cleanup_hook(r->cleanup);
    r->cleanup = NULL;
  }
}

static void on_handle_gc(napi_env env, void *data, void *hint) {
  reader_t *r = data;
  r->orphaned = 1;
  if (r->closed) reader_free(r);
}

/*
 * readerStart(kind, fd, maxBatch, slot, slab, lengths, names|null, info, callback, segs?) -> handle.
 * slab must hold maxBatch * slot bytes, lengths maxBatch int32s, names
 * maxBatch * 32 bytes (UDP only), segs (optional, UDP only) maxBatch int32s.
 */
napi_value reader_start(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  int32_t kind, fd, max_batch, slot;
  void *slab, *lengths, *names, *stats, *segs = NULL;
  size_t slab_len, lengths_len, names_len, stats_len, segs_len = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9 || !arg_int(env, argv[0], &kind) || !arg_int(env, argv[1], &fd) || !arg_int(env, argv[2], &max_batch) ||
      !arg_int(env, argv[3], &slot) || !arg_bytes(env, argv[4], &slab, &slab_len) ||
      !arg_bytes(env, argv[5], &lengths, &lengths_len) || !arg_bytes(env, argv[6], &names, &names_len) ||
      !arg_bytes(env, argv[7], &stats, &stats_len) || max_batch < 1 || slot < 1 ||
      slab_len < (size_t)max_batch * (size_t)slot || lengths_len < (size_t)max_batch * 4 || stats_len < 8 ||
      (kind == KIND_UDP && names_len < (size_t)max_batch * NAME_SLOT) ||
      (argc >= 10 && !arg_bytes(env, argv[9], &segs, &segs_len)) ||
      (segs && (kind != KIND_UDP || segs_len < (size_t)max_batch * 4))) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "readerStart: bad arguments or buffers too small");
    return NULL;
  }
  reader_t *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "readerStart");
  r->env = env;
  r->kind = kind;
  r->fd = fd;
  r->max_batch = max_batch;
  r->slot = (size_t)slot;
  r->slab = slab;
  r->lengths = lengths;
  r->names = names;
  r->info = stats;
  r->segs = segs;
  if (kind == KIND_UDP) {
    r->msgs = calloc((size_t)max_batch, sizeof *r->msgs);
    r->iovs = calloc((size_t)max_batch, sizeof *r->iovs);
    if (segs) r->ctrl = calloc((size_t)max_batch, CTRL_SLOT);
    if (!r->msgs || !r->iovs || (segs && !r->ctrl)) {
      reader_free(r);
      return throw_errno(env, ENOMEM, "readerStart");
    }
    for (int i = 0; i < max_batch; i++) {
      r->iovs[i].iov_base = r->slab + (size_t)i * r->slot;
      r->iovs[i].iov_len = r->slot;
      r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
      r->msgs[i].msg_hdr.msg_iovlen = 1;
      r->msgs[i].msg_hdr.msg_name = r->names + (size_t)i * NAME_SLOT;
      if (r->ctrl) r->msgs[i].msg_hdr.msg_control = r->ctrl + (size_t)i * CTRL_SLOT;
    }
  }
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &r->poll, fd);
  if (rc < 0) {
    reader_free(r);
    return throw_errno(env, -rc, "uv_poll_init");
  }
  r->poll.data = r;
  napi_value name, handle, resource;
  CHECK(napi_create_reference(env, argv[8], 1, &r->callback));
  for (int i = 0; i < 4; i++)
    if (!is_nullish(env, argv[4 + i])) CHECK(napi_create_reference(env, argv[4 + i], 1, &r->keep[i]));
  if (segs) CHECK(napi_create_reference(env, argv[9], 1, &r->keep[4]));
  CHECK(napi_create_string_utf8(env, kind == KIND_TUN ? "braid:tun" : "braid:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_async_init(env, resource, name, &r->async));
  rc = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    release_js(r);
    r->closing = 1;
    r->orphaned = 1;
    uv_close((uv_handle_t *)&r->poll, on_closed);
    return throw_errno(env, -rc, "uv_poll_start");
  }
  CHECK(napi_create_external(env, r, on_handle_gc, NULL, &handle));
  CHECK(napi_add_async_cleanup_hook(env, on_env_cleanup, r, &r->cleanup));
  return handle;
}

/* readerStop(handle): stops polling and releases the JS objects. Safe to call twice. */
napi_value reader_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  reader_t *r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&r) != napi_ok) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "readerStop(handle)");
    return NULL;
  }
  if (r->closing) return NULL;
  r->closing = 1;
  uv_poll_stop(&r->poll);
  release_js(r);
  uv_close((uv_handle_t *)&r->poll, on_closed);
  return NULL;
}
