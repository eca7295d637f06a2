/*
 * TUN: the TUNSETIFF ioctl Node cannot make (optionally with IFF_VNET_HDR),
 * and packet writes that never throw for a full queue (the caller counts drops).
 */
#include "braid.h"
#include "napi-helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * tunOpen(name, multiQueue, vnetHdr?, tso?) -> [fd, name, vnetHdr, tso]:
 * creates or attaches the TUN, nonblocking. With vnetHdr (IFF_VNET_HDR)
 * every read and write starts with a 10-byte struct virtio_net_hdr, so a
 * write can carry a TCP super-packet the kernel segments (or delivers
 * whole). With tso too, TUNSETOFFLOAD lets the kernel hand reads over with
 * checksums left partial and TCP super-packets of up to 64 KiB unsegmented
 * (the header says which); without it reads stay plain packets behind a
 * zero header. The last two elements say what is on (addons without them
 * return fewer).
 */
napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char name[IFNAMSIZ];
  int multi = 0, vnet = 0, tso = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_string(env, argv[0], name, sizeof name) || !arg_bool(env, argv[1], &multi) ||
      (argc >= 3 && !is_nullish(env, argv[2]) && !arg_bool(env, argv[2], &vnet)) ||
      (argc >= 4 && !is_nullish(env, argv[3]) && !arg_bool(env, argv[3], &tso))) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "tunOpen(name, multiQueue, vnetHdr, tso)");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl TUNSETIFF");
  }
  /* TSO needs the checksum offload with it; a kernel that refuses leaves reads plain (tso reported off). */
  if (vnet && tso && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) tso = 0;
  if (!vnet) tso = 0;
  napi_value out, vfd, vname;
  CHECK(napi_create_array_with_length(env, 4, &out));
  CHECK(napi_create_int32(env, fd, &vfd));
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &vname));
  CHECK(napi_set_element(env, out, 0, vfd));
  CHECK(napi_set_element(env, out, 1, vname));
  CHECK(napi_set_element(env, out, 2, make_int(env, vnet)));
  CHECK(napi_set_element(env, out, 3, make_int(env, tso)));
  return out;
}

static int write_one(int fd, const void *data, size_t len) {
  for (;;) {
    if (write(fd, data, len) >= 0) return 0;
    if (errno != EINTR) return errno;
  }
}

/* fdWrite(fd, packet) -> 0 or errno. One packet per write(): TUN keeps packet boundaries. */
napi_value fd_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !arg_int(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len)) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "fdWrite(fd, packet)");
    return NULL;
  }
  return make_int(env, write_one(fd, data, len));
}

/*
 * fdWriteBatch(fd, packets, count, out): writes packets[0..count) in one
 * JS->C crossing. out (Int32Array(4)) receives [written, dropped (queue full),
 * failed (other errors), last errno]. Never throws for a full queue.
 */
napi_value fd_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd, count;
  int32_t *out;
  size_t out_len;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !arg_int(env, argv[0], &fd) || !arg_int(env, argv[2], &count) ||
      !arg_bytes(env, argv[3], (void **)&out, &out_len) || out_len < 16) {
    napi_throw_type_error(env, "BRAID_NATIVE_ARG", "fdWriteBatch(fd, packets, count, out)");
    return NULL;
  }
  int32_t written = 0, dropped = 0, failed = 0, last = 0;
  for (int32_t i = 0; i < count; i++) {
    napi_value el;
    void *data;
    size_t len;
    CHECK(napi_get_element(env, argv[1], (uint32_t)i, &el));
    if (!arg_bytes(env, el, &data, &len)) {
      napi_throw_type_error(env, "BRAID_NATIVE_ARG", "fdWriteBatch: packets must be Uint8Arrays");
      return NULL;
    }
    int err = write_one(fd, data, len);
    if (err == 0) written++;
    else if (err == EAGAIN || err == ENOBUFS) dropped++, last = err;
    else failed++, last = err;
  }
  out[0] = written;
  out[1] = dropped;
  out[2] = failed;
  out[3] = last;
  return NULL;
}
