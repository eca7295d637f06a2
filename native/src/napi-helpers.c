#include "napi-helpers.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char msg[256];
  const char *code = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value e, m, c, n, s;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, code ? code : "EUNKNOWN", NAPI_AUTO_LENGTH, &c);
  napi_create_error(env, c, m, &e);
  napi_create_int32(env, -err, &n);
  napi_set_named_property(env, e, "errno", n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, e, "syscall", s);
  napi_throw(env, e);
  return NULL;
}

void throw_status(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, "BRAID_NATIVE_ARG", what);
}

int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 1;
  return t == napi_null || t == napi_undefined;
}

int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

int arg_bool(napi_env env, napi_value v, int *out) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return 0;
  *out = b;
  return 1;
}

int arg_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  buf[0] = 0;
  if (is_nullish(env, v)) return 1;
  /* Ask for the full length first: refuse rather than silently truncate. */
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len >= size) return 0;
  return napi_get_value_string_utf8(env, v, buf, size, &len) == napi_ok;
}

int arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  *data = NULL;
  *len = 0;
  if (is_nullish(env, v)) return 1;
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &count, data, &ab, &offset) != napi_ok) return 0;
  switch (type) {
    case napi_int32_array: *len = count * 4; break;
    case napi_uint8_array: *len = count; break;
    default: return 0;
  }
  return 1;
}

napi_value make_int(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}
