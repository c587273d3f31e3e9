{
  "targets": [
    {
      "target_name": "umphone_rtp_io",
      "sources": ["binding.cc", "io-loop.cc", "hedge.cc", "batch-format.cc", "udp.cc", "srtp.cc", "pcap-sink.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
