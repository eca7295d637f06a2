{
  "targets": [
    {
      "target_name": "braid_native",
      "sources": [
        "src/addon.c",
        "src/napi-helpers.c",
        "src/tun.c",
        "src/udp.c",
        "src/reader.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"]
    }
  ]
}
