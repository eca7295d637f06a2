/* Module entry: registers the exported functions (see braid.h). */
#include "braid.h"
#include "napi-helpers.h"

static const braid_export exports_table[] = {
  {"tunOpen", tun_open},
  {"fdWrite", fd_write},
  {"fdWriteBatch", fd_write_batch},
  {"udpOpen", udp_open},
  {"udpConnect", udp_connect},
  {"udpSockname", udp_sockname},
  {"udpSend", udp_send},
  {"udpSendBatch", udp_send_batch},
  {"udpSetGro", udp_set_gro},
  {"sockaddrMake", sockaddr_make},
  {"sockaddrFormat", sockaddr_format},
  {"readerStart", reader_start},
  {"readerStop", reader_stop},
};

static napi_value init(napi_env env, napi_value exports) {
  for (size_t i = 0; i < sizeof exports_table / sizeof exports_table[0]; i++) {
    napi_value fn;
    CHECK(napi_create_function(env, exports_table[i].name, NAPI_AUTO_LENGTH, exports_table[i].fn, NULL, &fn));
    CHECK(napi_set_named_property(env, exports, exports_table[i].name, fn));
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
