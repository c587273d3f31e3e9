{
  "targets": [
    {
      "target_name": "umphone_rtp_io",
      "sources": ["rtp_io.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
