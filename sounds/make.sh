#!/usr/bin/env bash
# Makes the built-in voice clips of xephang from sounds/clips.tsv, reproducibly.
#
#   sounds/make.sh            # regenerates sounds/vi/*.wav, sounds/en/*.wav, sounds/chime.wav
#
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). Every clip is one word or
# phrase from clips.tsv said by espeak-ng (never digits: the daemon composes numbers itself),
# trimmed of leading and trailing silence, brought to one loudness (RMS) with a limiter on the
# peaks, with 5 ms fades against clicks, as mono 22050 Hz 16-bit WAV. The chime is a two-tone
# "ding-dong" synthesised by sox. The same tool versions give the same bytes (sox -R, no dither).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make.sh: $tool is missing (apt-get install espeak-ng sox)" >&2; exit 1; }
done

RATE=22050
SPEED=${SPEED:-140}          # words per minute
TARGET_RMS_DB=${TARGET_RMS_DB:--18}
THRESHOLD=-45d               # what counts as silence when trimming
VOICE_vi=${VOICE_vi:-vi}     # vi = Northern; vi-vn-x-south for a Southern accent
VOICE_en=${VOICE_en:-en-gb}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

SOX="sox -R -D -V1"

# finish IN OUT: trim silence, normalise loudness, fade the edges, write mono 22050 Hz 16-bit.
finish() {
    local in="$1" out="$2" trimmed="$tmp/trimmed.wav" rms gain
    $SOX "$in" -c 1 "$trimmed" silence 1 0.01 "$THRESHOLD" reverse silence 1 0.01 "$THRESHOLD" reverse
    rms="$(sox "$trimmed" -n stats 2>&1 | awk '/^RMS lev dB/ {print $4}')"
    gain="$(awk -v t="$TARGET_RMS_DB" -v r="$rms" 'BEGIN {printf "%.2f", t - r}')"
    $SOX "$trimmed" -r "$RATE" -c 1 -b 16 -e signed-integer "$out" gain -l "$gain" fade q 0.005 -0 0.005
}

rm -f vi/*.wav en/*.wav chime.wav
mkdir -p vi en

count=0
while IFS=$'\t' read -r lang clip text; do
    case "$lang" in ''|'#'*) continue ;; esac
    voice_var="VOICE_$lang"
    voice="${!voice_var:?no voice for language $lang}"
    espeak-ng -v "$voice" -s "$SPEED" -w "$tmp/raw.wav" -- "$text"
    finish "$tmp/raw.wav" "$lang/$clip.wav"
    count=$((count + 1))
done < clips.tsv

# The chime: E5 then C5, each a sine with its octave, struck and decaying.
$SOX -n -r "$RATE" -c 1 "$tmp/ding.wav" synth 0.55 sine 659.25 sine 1318.5 remix 1-2 fade l 0.004 0.55 0.5
$SOX -n -r "$RATE" -c 1 "$tmp/dong.wav" synth 0.9 sine 523.25 sine 1046.5 remix 1-2 fade l 0.004 0.9 0.85
$SOX "$tmp/ding.wav" "$tmp/dong.wav" "$tmp/chime.wav"
$SOX "$tmp/chime.wav" -r "$RATE" -c 1 -b 16 -e signed-integer chime.wav gain -n -3 silence 1 0.01 "$THRESHOLD" reverse silence 1 0.01 "$THRESHOLD" reverse
count=$((count + 1))

echo "make.sh: $count clips in $here ($(du -sh "$here" | cut -f1) in all)"
