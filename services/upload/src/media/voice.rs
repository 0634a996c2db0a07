//! Voice clips: the container is demuxed to the end (a truncated or corrupt clip is refused), the
//! true duration is measured from the stream (MediaRecorder's WebM carries none in its header), and
//! a 48-bar waveform is computed for the page to draw.
//!
//! Containers are demuxed by symphonia. AAC (Safari's MP4) is decoded by symphonia; Opus
//! (Chromium's WebM, Firefox's Ogg) by libopus (the `opus` crate; symphonia has no Opus decoder).
//! Every packet is decoded, so a corrupt clip is refused, and the bars are the RMS of the samples.
//! Opus durations come from each packet's TOC byte (RFC 6716 §3.1), less the stream's pre-skip.

use std::io::Cursor;

use bytes::Bytes;
use natter_protocol::{MediaKind, MediaLimits};
use symphonia::core::{
    audio::SampleBuffer,
    codecs::{CODEC_TYPE_AAC, CODEC_TYPE_OPUS, CodecParameters, DecoderOptions},
    errors::Error as AudioError,
    formats::{FormatOptions, FormatReader},
    io::MediaSourceStream,
    meta::MetadataOptions,
    probe::Hint,
};

use super::{Processed, Sniffed};
use crate::error::UploadError;

/// Bars in a waveform.
pub const WAVEFORM_BARS: usize = 48;
/// Opus always runs at 48 kHz.
const OPUS_RATE: u64 = 48_000;

/// One stretch of audio: when it starts, how long it lasts, how loud it is (any unit).
struct Slice {
    start: u64,
    samples: u64,
    level: f64,
}

pub fn process(
    bytes: Bytes,
    sniffed: Sniffed,
    limits: &MediaLimits,
) -> Result<Processed, UploadError> {
    if sniffed.mime == "audio/ogg" && !ogg_is_complete(&bytes) {
        return Err(UploadError::Unprocessable("the clip is truncated".into()));
    }
    let mut format = open(bytes.clone(), sniffed.mime)?;
    let track = format
        .tracks()
        .iter()
        .find(|t| [CODEC_TYPE_OPUS, CODEC_TYPE_AAC].contains(&t.codec_params.codec))
        .ok_or_else(|| UploadError::UnsupportedType("the clip must be Opus or AAC audio".into()))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let (slices, rate) = if params.codec == CODEC_TYPE_OPUS {
        (opus_slices(format.as_mut(), track_id, &params)?, OPUS_RATE)
    } else {
        aac_slices(format.as_mut(), track_id, &params)?
    };
    let total: u64 = slices.iter().map(|s| s.samples).sum();
    let skipped = u64::from(params.delay.unwrap_or(0));
    let duration_ms = total.saturating_sub(skipped) * 1000 / rate.max(1);
    if duration_ms < limits.voice_min_ms || duration_ms > limits.voice_max_ms {
        return Err(UploadError::Unprocessable(format!(
            "the clip lasts {duration_ms} ms; clips of {} ms to {} ms are accepted",
            limits.voice_min_ms, limits.voice_max_ms
        )));
    }
    Ok(Processed {
        kind: MediaKind::Voice,
        mime: sniffed.mime,
        body: bytes,
        width: None,
        height: None,
        duration_ms: Some(duration_ms),
        waveform: Some(waveform(&slices, total)),
        thumb: None,
    })
}

fn open(bytes: Bytes, mime: &str) -> Result<Box<dyn FormatReader>, UploadError> {
    let stream = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    hint.mime_type(mime);
    symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map(|probed| probed.format)
        .map_err(|e| UploadError::Unprocessable(format!("the clip could not be read: {e}")))
}

/// Every packet of the track, in order, until the end of the stream; an error before the end means
/// the clip is truncated or corrupt.
fn for_each_packet(
    format: &mut dyn FormatReader,
    track_id: u32,
    mut each: impl FnMut(symphonia::core::formats::Packet) -> Result<(), UploadError>,
) -> Result<(), UploadError> {
    loop {
        match format.next_packet() {
            Ok(packet) if packet.track_id() == track_id => each(packet)?,
            Ok(_) => {}
            Err(AudioError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(());
            }
            Err(e) => {
                return Err(UploadError::Unprocessable(format!(
                    "the clip is truncated or corrupt: {e}"
                )));
            }
        }
    }
}

fn opus_slices(
    format: &mut dyn FormatReader,
    track_id: u32,
    params: &CodecParameters,
) -> Result<Vec<Slice>, UploadError> {
    let channels = match params.channels.map(|c| c.count()) {
        Some(2) => opus::Channels::Stereo,
        _ => opus::Channels::Mono,
    };
    let width = if channels == opus::Channels::Stereo {
        2
    } else {
        1
    };
    let mut decoder = opus::Decoder::new(OPUS_RATE as u32, channels)
        .map_err(|e| UploadError::Internal(anyhow::anyhow!("opus decoder: {e}")))?;
    // Room for the longest Opus packet (120 ms at 48 kHz).
    let mut pcm = vec![0f32; 5760 * width];
    let mut slices = Vec::new();
    let mut start = 0;
    for_each_packet(format, track_id, |packet| {
        let samples = opus_packet_samples(&packet.data).ok_or_else(|| {
            UploadError::Unprocessable("the clip holds an invalid Opus packet".into())
        })?;
        let decoded = decoder
            .decode_float(&packet.data, &mut pcm, false)
            .map_err(|e| UploadError::Unprocessable(format!("the clip cannot be decoded: {e}")))?;
        slices.push(Slice {
            start,
            samples,
            level: rms(&pcm[..decoded * width]),
        });
        start += samples;
        Ok(())
    })?;
    Ok(slices)
}

fn rms(samples: &[f32]) -> f64 {
    let energy: f64 = samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    (energy / samples.len().max(1) as f64).sqrt()
}

/// Samples (at 48 kHz) in one Opus packet, from its TOC byte; None for a malformed packet.
pub fn opus_packet_samples(packet: &[u8]) -> Option<u64> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame duration in units of 2.5 ms (120 samples at 48 kHz).
    let frame_units: u64 = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames: u64 = match toc & 0x3 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(packet.get(1)? & 0x3F),
    };
    let samples = frames * frame_units * 120;
    // A packet lasts at most 120 ms.
    (frames > 0 && samples <= 5760).then_some(samples)
}

fn aac_slices(
    format: &mut dyn FormatReader,
    track_id: u32,
    params: &CodecParameters,
) -> Result<(Vec<Slice>, u64), UploadError> {
    let rate = u64::from(params.sample_rate.unwrap_or(44_100));
    let mut decoder = symphonia::default::get_codecs()
        .make(params, &DecoderOptions::default())
        .map_err(|e| UploadError::Unprocessable(format!("the clip cannot be decoded: {e}")))?;
    let mut slices = Vec::new();
    let mut start = 0;
    for_each_packet(format, track_id, |packet| {
        let decoded = decoder
            .decode(&packet)
            .map_err(|e| UploadError::Unprocessable(format!("the clip cannot be decoded: {e}")))?;
        let spec = *decoded.spec();
        let mut samples = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        samples.copy_interleaved_ref(decoded);
        let channels = spec.channels.count().max(1);
        let frames = (samples.samples().len() / channels) as u64;
        let energy: f64 = samples
            .samples()
            .iter()
            .map(|s| f64::from(*s).powi(2))
            .sum();
        slices.push(Slice {
            start,
            samples: frames,
            level: (energy / samples.samples().len().max(1) as f64).sqrt(),
        });
        start += frames;
        Ok(())
    })?;
    if let Some(expected) = params.n_frames
        && start + rate / 10 < expected
    {
        return Err(UploadError::Unprocessable("the clip is truncated".into()));
    }
    Ok((slices, rate))
}

/// `WAVEFORM_BARS` levels from 0 to 255, each the mean level of its share of the clip, scaled so
/// the loudest bar is 255.
fn waveform(slices: &[Slice], total: u64) -> Vec<u8> {
    let mut sums = [0f64; WAVEFORM_BARS];
    let mut counts = [0u32; WAVEFORM_BARS];
    for slice in slices {
        let bar = ((slice.start * WAVEFORM_BARS as u64) / total.max(1))
            .min(WAVEFORM_BARS as u64 - 1) as usize;
        sums[bar] += slice.level;
        counts[bar] += 1;
    }
    let means: Vec<f64> = sums
        .iter()
        .zip(counts)
        .map(|(s, c)| if c > 0 { s / f64::from(c) } else { 0.0 })
        .collect();
    let peak = means.iter().copied().fold(0.0, f64::max);
    means
        .iter()
        .map(|m| {
            if peak > 0.0 {
                (m / peak * 255.0).round() as u8
            } else {
                0
            }
        })
        .collect()
}

/// An Ogg stream is complete when its last page is whole and flagged end-of-stream.
fn ogg_is_complete(bytes: &[u8]) -> bool {
    let Some(last) = bytes.windows(4).rposition(|w| w == b"OggS") else {
        return false;
    };
    let page = &bytes[last..];
    let Some(&segments) = page.get(26) else {
        return false;
    };
    let Some(lacing) = page.get(27..27 + usize::from(segments)) else {
        return false;
    };
    let size = 27 + usize::from(segments) + lacing.iter().map(|l| usize::from(*l)).sum::<usize>();
    page[5] & 0x04 != 0 && page.len() == size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_toc_gives_packet_durations() {
        // config 31 (CELT 20 ms), one frame.
        assert_eq!(opus_packet_samples(&[31 << 3, 0]), Some(960));
        // config 1 (SILK 20 ms), two frames.
        assert_eq!(opus_packet_samples(&[(1 << 3) | 1]), Some(1920));
        // code 3 with a frame count byte: 3 frames of 20 ms.
        assert_eq!(opus_packet_samples(&[(31 << 3) | 3, 3]), Some(2880));
        assert_eq!(opus_packet_samples(&[]), None);
        assert_eq!(opus_packet_samples(&[(31 << 3) | 3, 0]), None);
    }

    #[test]
    fn waveform_has_48_bars_scaled_to_the_loudest() {
        let slices: Vec<Slice> = (0..96)
            .map(|i| Slice {
                start: i * 10,
                samples: 10,
                level: i as f64,
            })
            .collect();
        let bars = waveform(&slices, 960);
        assert_eq!(bars.len(), WAVEFORM_BARS);
        assert_eq!(bars.last(), Some(&255));
        assert!(bars.windows(2).all(|w| w[0] <= w[1]));
    }
}
