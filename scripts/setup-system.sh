#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo use, when they are missing.
# Real peers (SIPp, baresip, Kamailio with TLS), audio tools (sox, espeak-ng, multimon-ng), capture (tshark, tcpdump),
# the virtual sound card (pulseaudio + ALSA's pulse plugin), libasound2 for naudiodon's PortAudio, Chromium for the report's test.
set -euo pipefail
need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_cmd sipp        || need+=(sip-tester)
have_cmd baresip     || need+=(baresip)
have_cmd kamailio    || need+=(kamailio)
have_cmd openssl     || need+=(openssl)
# Kamailio's TLS module: the TLS redirector of the TLS interop tests.
[ -e /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ] || need+=(kamailio-tls-modules)
have_cmd sox         || need+=(sox libsox-fmt-all)
have_cmd espeak-ng   || need+=(espeak-ng)
have_cmd multimon-ng || need+=(multimon-ng)
have_cmd tshark      || need+=(tshark)
have_cmd tcpdump     || need+=(tcpdump)
have_cmd tmux        || need+=(tmux)
have_cmd pulseaudio  || need+=(pulseaudio)
have_cmd pacat       || need+=(pulseaudio-utils)
[ -e /usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so ] || need+=(libasound2-plugins)
ldconfig -p 2>/dev/null | grep -q 'libasound.so.2' || need+=(libasound2)
# The HTML call report's browser test (playwright-core drives Debian's Chromium; Playwright's own download is unreachable).
have_cmd chromium    || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-system: installing ${need[*]}"
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup-system: ok (sipp $(sipp -v 2>/dev/null | grep -o 'v[0-9.]*' | head -1), baresip, kamailio, sox, espeak-ng, multimon-ng, tshark, pulseaudio)"
