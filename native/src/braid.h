/*
 * braid native addon: only the Linux system calls Node.js lacks (TUN ioctl,
 * socket options, recvmmsg/sendmmsg, readiness-driven batch reads). No
 * protocol logic lives here; every function is a thin wrapper the TypeScript
 * side in src/io/ builds on.
 */
#ifndef BRAID_H
#define BRAID_H

#include <node_api.h>

/* One exported function: name and C callback. */
typedef struct {
  const char *name;
  napi_callback fn;
} braid_export;

napi_value tun_open(napi_env env, napi_callback_info info);
napi_value fd_write(napi_env env, napi_callback_info info);
napi_value fd_write_batch(napi_env env, napi_callback_info info);

napi_value udp_open(napi_env env, napi_callback_info info);
napi_value udp_connect(napi_env env, napi_callback_info info);
napi_value udp_sockname(napi_env env, napi_callback_info info);
napi_value udp_send(napi_env env, napi_callback_info info);
napi_value udp_send_batch(napi_env env, napi_callback_info info);
napi_value udp_set_gro(napi_env env, napi_callback_info info);
napi_value sockaddr_make(napi_env env, napi_callback_info info);
napi_value sockaddr_format(napi_env env, napi_callback_info info);

napi_value reader_start(napi_env env, napi_callback_info info);
napi_value reader_stop(napi_env env, napi_callback_info info);

#endif
