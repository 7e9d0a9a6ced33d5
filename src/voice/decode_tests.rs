//! Decoding what browsers record: a real Chromium `MediaRecorder` WebM (unknown-size segment
//! and clusters, 60 ms Opus frames, stereo; `tests/fixtures/voice/`), and Ogg/Opus as Firefox
//! writes it (made here with libopus and a small Ogg writer), each then processed into a clip.

use super::*;
use crate::voice::process::{process, process_decoded};

/// The fixture: Chromium 156's MediaRecorder (`audio/webm;codecs=opus`, default options) fed
/// by a fake microphone playing 0.8 s of silence, a 1.2 s voiced burst, then silence; 3.48 s.
const CHROMIUM_WEBM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/voice/chromium-mediarecorder.webm"
));

#[test]
fn chromium_mediarecorder_webm_decodes_and_trims_to_the_burst() {
    let d = decode(CHROMIUM_WEBM).unwrap();
    assert_eq!((d.rate, d.format), (48_000, "WebM/Opus"));
    let secs = d.mono.len() as f64 / 48_000.0;
    assert!((secs - 3.48).abs() < 0.01, "{secs}");
    let p = process_decoded(d).unwrap();
    assert!((p.report.duration_s - 1.2).abs() < 0.1, "{:?}", p.report);
    // Cut short (a recorder stopped mid-cluster): what came before is kept.
    let cut = &CHROMIUM_WEBM[..CHROMIUM_WEBM.len() - 37];
    let d = decode(cut).unwrap();
    assert!(d.mono.len() > 48_000 * 3, "{}", d.mono.len());
}

/// CRC-32 of Ogg pages (polynomial 0x04c11db7, not reflected, initial 0).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for b in data {
        crc ^= u32::from(*b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One Ogg page holding one packet (under 255 × 255 bytes).
fn ogg_page(out: &mut Vec<u8>, packet: &[u8], granule: u64, seq: u32, flags: u8) {
    let mut lacing = vec![255u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    let start = out.len();
    out.extend_from_slice(b"OggS");
    out.push(0);
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&0x5851_u32.to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(lacing.len() as u8);
    out.extend_from_slice(&lacing);
    out.extend_from_slice(packet);
    let crc = ogg_crc(&out[start..]);
    out[start + 22..start + 26].copy_from_slice(&crc.to_le_bytes());
}

/// Ogg/Opus (RFC 7845) of mono 48 kHz samples, 20 ms packets, as Firefox records it.
fn ogg_opus(samples: &[f32]) -> Vec<u8> {
    let pre_skip = 312u16;
    let mut enc =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
    let mut out = Vec::new();
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(1);
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes());
    head.push(0);
    ogg_page(&mut out, &head, 0, 0, 0x02);
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&4u32.to_le_bytes());
    tags.extend_from_slice(b"test");
    tags.extend_from_slice(&0u32.to_le_bytes());
    ogg_page(&mut out, &tags, 0, 1, 0);
    let mut padded = vec![0.0; usize::from(pre_skip)];
    padded.extend_from_slice(samples);
    let frames: Vec<&[f32]> = padded.chunks(960).collect();
    let mut buf = vec![0u8; 4000];
    for (i, frame) in frames.iter().enumerate() {
        let mut f = frame.to_vec();
        f.resize(960, 0.0);
        let n = enc.encode_float(&f, &mut buf).unwrap();
        let last = i + 1 == frames.len();
        let granule = ((i + 1) * 960) as u64;
        ogg_page(
            &mut out,
            &buf[..n],
            granule,
            (i + 2) as u32,
            if last { 0x04 } else { 0 },
        );
    }
    out
}

#[test]
fn ogg_opus_decodes_with_its_pre_skip_and_processes() {
    let rec = crate::voice::process::tests::recording(48_000, 0.6, 1.0, 0.7, 0.3, 0.0);
    let d = decode(&ogg_opus(&rec)).unwrap();
    assert_eq!((d.rate, d.format), (48_000, "Ogg/Opus"));
    // The pre-skip is dropped: the length is the input's, up to the last packet's padding.
    assert!(
        d.mono.len() >= rec.len() && d.mono.len() < rec.len() + 960,
        "{} vs {}",
        d.mono.len(),
        rec.len()
    );
    let p = process(&ogg_opus(&rec)).unwrap();
    assert!((p.report.duration_s - 1.0).abs() < 0.1, "{:?}", p.report);
    assert_eq!(p.report.source, "Ogg/Opus");
    // A damaged page (its CRC no longer matches) is not silently accepted as more sound.
    let mut bad = ogg_opus(&rec);
    let n = bad.len();
    bad.truncate(n / 3);
    bad.extend_from_slice(b"OggS garbage garbage garbage");
    let d = decode(&bad);
    assert!(d.map(|d| d.mono.len() < rec.len()).unwrap_or(true));
}
