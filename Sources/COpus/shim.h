#ifndef EARSHOT_COPUS_SHIM_H
#define EARSHOT_COPUS_SHIM_H

#include <opus/opus.h>

// opus_encoder_ctl/opus_decoder_ctl are variadic, which Swift cannot call:
// each setting the codec layer needs gets one typed wrapper here.

static inline int earshot_opus_encoder_set_bitrate(OpusEncoder *e, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(e, OPUS_SET_BITRATE(bitsPerSecond));
}
static inline int earshot_opus_encoder_set_complexity(OpusEncoder *e, opus_int32 complexity) {
    return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity));
}
static inline int earshot_opus_encoder_set_inband_fec(OpusEncoder *e, opus_int32 enabled) {
    return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(enabled));
}
static inline int earshot_opus_encoder_set_packet_loss_perc(OpusEncoder *e, opus_int32 percent) {
    return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(percent));
}
static inline int earshot_opus_encoder_set_dtx(OpusEncoder *e, opus_int32 enabled) {
    return opus_encoder_ctl(e, OPUS_SET_DTX(enabled));
}
static inline int earshot_opus_encoder_set_signal(OpusEncoder *e, opus_int32 signal) {
    return opus_encoder_ctl(e, OPUS_SET_SIGNAL(signal));
}
static inline int earshot_opus_encoder_get_lookahead(OpusEncoder *e, opus_int32 *samples) {
    return opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(samples));
}
static inline int earshot_opus_encoder_get_in_dtx(OpusEncoder *e, opus_int32 *inDTX) {
    return opus_encoder_ctl(e, OPUS_GET_IN_DTX(inDTX));
}
static inline int earshot_opus_decoder_get_last_packet_duration(OpusDecoder *d, opus_int32 *samples) {
    return opus_decoder_ctl(d, OPUS_GET_LAST_PACKET_DURATION(samples));
}
static inline int earshot_opus_decoder_reset(OpusDecoder *d) {
    return opus_decoder_ctl(d, OPUS_RESET_STATE);
}

// opus_packet_get_nb_samples reads only the TOC and frame count; a receiver that validates before queueing also
// needs the frame lengths checked, which opus_packet_parse does with caller-supplied arrays kept here on the stack.
// Returns samples per channel at 48 kHz, or a negative OPUS_* error (OPUS_INVALID_PACKET for 0 or > 120 ms).
static inline int earshot_opus_packet_validated_sample_count(const unsigned char *data, opus_int32 length) {
    unsigned char toc;
    const unsigned char *frames[48];
    opus_int16 sizes[48];
    int payloadOffset;
    int count = opus_packet_parse(data, length, &toc, frames, sizes, &payloadOffset);
    if (count < 0) return count;
    if (count == 0) return OPUS_INVALID_PACKET;
    int samples = opus_packet_get_nb_samples(data, length, 48000);
    if (samples < 0) return samples;
    if (samples == 0 || samples > 5760) return OPUS_INVALID_PACKET;
    return samples;
}

#endif
