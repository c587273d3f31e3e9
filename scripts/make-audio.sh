#!/usr/bin/env bash
# Regenerates every WAV under audio/ deterministically from text with espeak-ng + sox.
#
# Output: 8 kHz, mono, 16-bit signed PCM. No dither (-D) so two runs give identical bytes.
# Each prompt is: espeak-ng -> resampled to 8 kHz -> leading/trailing silence trimmed (sox `silence`
# at -60 dBFS) -> peak-normalized to -11 dBFS (about the ITU-T P.56 nominal -26 dBov active speech level, and
# room for +10 dB in the loudness tests without clipping) -> padded with 300 ms silence before and 500 ms after.
# The speech boundaries are therefore known exactly (speechStartMs = 300, speechEndMs = 300 + trimmed
# length) and are written to audio/prompts/index.json for VAD calibration and the fingerprint tests.
#
# Usage: scripts/make-audio.sh   (from anywhere; needs espeak-ng and sox)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/audio"
PROMPTS="$OUT/prompts"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$PROMPTS"

LEAD_S=0.3
TRAIL_S=0.5
SOXOUT=(-D -r 8000 -c 1 -b 16 -e signed-integer)

# file|voice|text. Some pairs are deliberately close in wording (press 1 / press 2, 1/2/3 new
# messages, extension / PIN) so the fingerprint accuracy test has hard negatives.
PROMPT_LIST=$(cat <<'EOF'
greeting-613|en-us|The person at extension 613 is not available. Please leave a message after the tone.
enter-extension|en-us|Please enter your extension, followed by the pound key.
enter-pin|en-us|Please enter your PIN, followed by the pound key.
new-messages-0|en-us|You have no new messages.
new-messages-1|en-us|You have one new message.
new-messages-2|en-us|You have 2 new messages.
new-messages-3|en-us|You have 3 new messages.
main-menu|en-us|To listen to your new messages, press 1. To go back, press star.
no-more-messages|en-us|There are no more messages.
auto-attendant|en-us|Welcome. For sales, press 1. For support, press 2. To reach an operator, press 0.
transferring|en-us|Please hold while your call is transferred.
invalid|en-us|Sorry, I didn't get that.
goodbye|en-us|Goodbye.
message-recorded|en-us|Your message has been recorded. Thank you.
welcome|en-us|Welcome to the voice mail system. Please sign in.
sales-press-1|en-us|For sales, press 1.
sales-press-2|en-us|For sales, press 2.
mailbox-full|en-us|The mailbox is full. Please try again later.
EOF
)

# speak VOICE TEXT OUT.wav : espeak-ng at its native rate, then 8 kHz mono 16-bit, trimmed, normalized.
speak() {
  local voice="$1" text="$2" out="$3" speed="${4:-160}"
  espeak-ng -v "$voice" -s "$speed" -w "$TMP/raw.wav" "$text"
  sox "$TMP/raw.wav" "${SOXOUT[@]}" "$out" \
    rate -v 8000 \
    silence 1 0.005 0.1% reverse silence 1 0.005 0.1% reverse \
    norm -11
}

json_escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }

INDEX="$PROMPTS/index.json"
{
  echo '{'
  echo '  "sampleRate": 8000,'
  echo "  \"leadingSilenceMs\": $(awk "BEGIN{print $LEAD_S*1000}"),"
  echo "  \"trailingSilenceMs\": $(awk "BEGIN{print $TRAIL_S*1000}"),"
  echo '  "prompts": ['
} > "$INDEX"

first=1
while IFS='|' read -r name voice text; do
  [ -z "$name" ] && continue
  speak "$voice" "$text" "$TMP/speech.wav"
  samples=$(soxi -s "$TMP/speech.wav")
  sox "$TMP/speech.wav" "${SOXOUT[@]}" "$PROMPTS/$name.wav" pad "$LEAD_S" "$TRAIL_S"
  start_ms=$(awk "BEGIN{print $LEAD_S*1000}")
  end_ms=$(awk "BEGIN{printf \"%d\", $LEAD_S*1000 + $samples/8}")
  total=$(soxi -s "$PROMPTS/$name.wav")
  [ $first -eq 1 ] || echo ',' >> "$INDEX"
  first=0
  printf '    { "file": "%s.wav", "text": "%s", "voice": "%s", "speechStartMs": %s, "speechEndMs": %s, "durationMs": %d }' \
    "$name" "$(json_escape "$text")" "$voice" "$start_ms" "$end_ms" "$((total / 8))" >> "$INDEX"
done <<< "$PROMPT_LIST"
printf '\n  ]\n}\n' >> "$INDEX"

# 1 kHz beep, 500 ms, -10 dBm0: a full-scale sine is +3.17 dBm0 in G.711, so the peak is
# 10^((-10 - 3.17) / 20) = 0.2195 of full scale. 5 ms fades avoid clicks.
sox -n "${SOXOUT[@]}" "$OUT/beep-1000hz.wav" synth 0.5 sine 1000 vol 0.2195 fade t 0.005 0.5 0.005

# Known tone sequence for sound-card tests: 100 ms silence, then 400/800/1200/1600 Hz x 300 ms each,
# each followed by 100 ms silence (-10 dBm0 each).
parts=()
sox -n "${SOXOUT[@]}" "$TMP/gap.wav" trim 0 0.1
parts+=("$TMP/gap.wav")
for f in 400 800 1200 1600; do
  sox -n "${SOXOUT[@]}" "$TMP/tone-$f.wav" synth 0.3 sine "$f" vol 0.2195 fade t 0.005 0.3 0.005
  parts+=("$TMP/tone-$f.wav" "$TMP/gap.wav")
done
sox "${parts[@]}" "${SOXOUT[@]}" "$OUT/test-tones.wav"

# A caller's message, ~4 s, in a different voice (female variant, slower), with 300/500 ms padding.
speak "en-gb+f3" "Hi, this is Alice. Please call me back about the invoice." \
  "$TMP/msg.wav" 165
sox "$TMP/msg.wav" "${SOXOUT[@]}" "$OUT/message.wav" pad 0.3 0.5

# ~10 s of varied speech (two voices, numbers, vowels, sibilants) for DTMF talk-off tests.
speak "en-us" "One, two, three, four, five, six, seven, eight, nine, zero, star, pound. The quick brown fox jumps over the lazy dog." "$TMP/s1.wav" 185
speak "en-gb+f2" "She sells sea shells by the sea shore. Is it raining in Spain today?" "$TMP/s2.wav" 175
sox "$TMP/s1.wav" "$TMP/s2.wav" "${SOXOUT[@]}" "$OUT/speech-sample.wav" pad 0.2 0.2

echo "wrote $(ls "$PROMPTS"/*.wav | wc -l) prompts and 4 other files under $OUT"
