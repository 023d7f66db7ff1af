#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora into OUT_DIR/{rtp,rtcp,opus,receive-path} as binary files: the RTP and RTCP
# test vectors of Protocol/vectors (valid and invalid), one file per Opus payload line, and a few receive-path
# scripts (format: Tests/Fuzz/ReceivePathScript.swift). Nothing binary is kept in the repository.
set -euo pipefail
out=${1:?usage: seed-corpora.sh OUT_DIR}
vectors="$(cd "$(dirname "$0")/../.." && pwd)/Protocol/vectors"
mkdir -p "$out/rtp" "$out/rtcp" "$out/opus" "$out/receive-path"

# Hex (whitespace and '#' comment lines ignored) to bytes.
unhex() { perl -ne 'next if /^#/; s/\s+//g; print pack("H*", $_)' "$1"; }

for kind in rtp rtcp; do
    for file in "$vectors/$kind"/valid/*.hex "$vectors/$kind"/invalid/*.hex; do
        unhex "$file" > "$out/$kind/$(basename "$(dirname "$file")")-$(basename "$file" .hex)"
    done
done
for file in "$vectors"/opus/*.hex; do
    OUT="$out/opus/$(basename "$file" .hex)" perl -ne 'next if /^#/; chomp; next unless length;
        open(my $f, ">", sprintf("%s-%03d", $ENV{OUT}, ++$n)) or die; print $f pack("H*", $_)' "$file"
done

# Receive-path scripts: a 4-byte header, then 11-byte records (see ReceivePathScript.swift).
perl - "$out/receive-path" <<'PERL'
my $dir = shift;
sub header { pack("C4", @_) }
# kind/flags, sequence step, timestamp offset, arrival (bit 15: ms, else 10 us), decisions, TOC, body bytes,
# second payload byte, stretch/decision offset.
sub record { pack("C c n n C C C C C", @_) }
sub write_seed { my ($name, $bytes) = @_; open(my $f, ">", "$dir/$name") or die; print $f $bytes; close $f }
my $celt5 = 0xEC;  # CELT full band 5 ms, stereo, one frame (what ffmpeg sends)
my $silk20 = 0x08; # SILK narrow band 20 ms, mono (may carry FEC)

# Automatic latency up to 200 ms: a steady 5 ms stream, one decision per packet.
write_seed("steady-5ms", header(0, 25, 2, 0x12) . join("", map { record(0, 1, 0, 500, 1, $celt5, 60, 0, 0) } 1..200));
# Jittered arrivals, reordering and a duplicate.
my $s = header(0, 25, 2, 0x34);
for my $i (0..199) {
    my $step = $i % 9 == 4 ? 2 : $i % 9 == 5 ? -1 : $i % 9 == 7 ? 0 : 1;
    $s .= record(0, $step, 0, 200 + ($i * 37) % 700, 1 + ($i % 3 == 0), $celt5, 60, 0, 0);
}
write_seed("jitter-reorder", $s);
# Stream A, a stall of 1.5 s then a burst, a sender change to B after the source timeout, and a BYE.
$s = header(0x02, 50, 0, 0xFF);
$s .= record(0, 1, 0, 500, 1, $silk20, 40, 0, 0) for 1..50;
$s .= record(0, 1, 0, 0x8000 | 1500, 4 | (2 << 3), $silk20, 40, 0, 0);
$s .= record(0, 1, 0, 10, 0, $silk20, 40, 0, 0) for 1..40;
$s .= record(1, 1, 0x1000, 0x8000 | 2500, 1, $celt5, 60, 0, 0) for 1..30;
$s .= record(3, 1, 0, 100, 2, 0, 0, 0, 0);
$s .= record(1, 1, 0, 500, 1, $celt5, 60, 0, 0) for 1..20;
write_seed("stall-switch-bye", $s);
# Fixed 40 ms latency, quiet frames dropped, stretching reported, a timestamp jump (sender restart).
$s = header(0x01, 5, 0, 0x80);
$s .= record(0x10 | 0x20, 1, 0, 500, 1, $celt5, 60, 0, 40) for 1..60;
$s .= record(0x80, 1, 0x0100, 500, 1, $celt5, 60, 0, 0) for 1..2;
$s .= record(0x40, 1, 0, 480, 1, $celt5, 60, 0, 20) for 1..60;
write_seed("fixed-drop-stretch-restart", $s);
# Raw datagrams between packets: an RTCP SR on the RTP port, garbage, a foreign payload type.
$s = header(0, 25, 2, 0x01);
for my $i (0..59) {
    $s .= record(0, 1, 0, 500, 1, $celt5, 60, 0, 0);
    $s .= record(2, 0, 0, 0, 0, 0, 8, 0, 0) . pack("C8", 0x80, 200, 0, 6, 1, 2, 3, 4) if $i % 10 == 0;
    $s .= record(0x08, 1, 0, 100, 0, $celt5, 60, 0, 0) if $i % 10 == 5;
}
write_seed("raw-and-foreign", $s);
PERL
