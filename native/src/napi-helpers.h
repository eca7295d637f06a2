/* Argument parsing and errno errors for N-API callbacks. */
#ifndef BRAID_NAPI_HELPERS_H
#define BRAID_NAPI_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#define MAX_ARGS 8

/* Bails out of the calling N-API function (returning NULL) when a call fails. */
#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      throw_status(env, #call);                                      \
      return NULL;                                                   \
    }                                                                \
  } while (0)

/* Throws Error("<syscall>: <strerror>") with .code ("EPERM"), .errno, .syscall. */
napi_value throw_errno(napi_env env, int err, const char *syscall);
void throw_status(napi_env env, const char *what);

int arg_int(napi_env env, napi_value v, int32_t *out);
int arg_bool(napi_env env, napi_value v, int *out);
/* Copies a string argument into buf (NUL-terminated); empty for null/undefined. */
int arg_string(napi_env env, napi_value v, char *buf, size_t size);
/* Data pointer and length of a Buffer/Uint8Array/Int32Array; NULL data for null/undefined. */
int arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
int is_nullish(napi_env env, napi_value v);

napi_value make_int(napi_env env, int32_t v);

#endif
