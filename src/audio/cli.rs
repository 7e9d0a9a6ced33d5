//! `xephang say NUMBER --counter N [--lang vi|en] [--out FILE.wav] [--text]`: hear, read or
//! render the announcement of a call, for operators to preview and for tests.
//!
//! - `--text` prints the announcement as words, one line per language (said once);
//! - `--out FILE.wav` renders the whole announcement (chime, repeats, gaps) to a WAV file,
//!   mono 22050 Hz 16-bit, without a sound device;
//! - with neither, it is played on this PC's default sound device.
//!
//! `--lang` announces in that language only; without it (an empty `lang`), the configured
//! `audio.languages` are used.

use std::path::Path;
use std::time::{Duration, Instant};

use super::player::{spawn_player, PlayerState};
use super::settings::{AudioSettings, Output};
use super::words::Lang;
use super::{Announcer, AudioError};

/// Runs `xephang say`. `lang` is "vi", "en", or "" for the configured languages.
pub fn say(
    settings: &AudioSettings,
    number: &str,
    counter: u32,
    lang: &str,
    out: Option<&Path>,
    text: bool,
) -> Result<(), AudioError> {
    let mut settings = settings.clone();
    if !lang.is_empty() {
        if Lang::parse(lang).is_none() {
            return Err(AudioError::Settings(format!(
                "--lang {lang:?}: known languages are vi and en"
            )));
        }
        settings.languages = vec![lang.to_string()];
    }
    settings.validate().map_err(AudioError::Settings)?;
    if text {
        for line in say_text(&settings, number, counter) {
            println!("{line}");
        }
        if out.is_none() {
            return Ok(());
        }
    }
    let announcer = Announcer::new(&settings)?;
    let playlist = announcer.playlist(number, counter);
    let samples = announcer.samples(&playlist);
    if let Some(out) = out {
        super::render::write_wav(out, &samples)?;
        println!(
            "{}: {:.2} s, {} clips",
            out.display(),
            super::render::seconds(samples.len()),
            playlist.len()
        );
        return Ok(());
    }
    settings.output = Output::Device;
    let player = spawn_player(&settings, announcer);
    player.wait_opened(Duration::from_secs(10));
    if player.state() != PlayerState::Playing {
        return Err(AudioError::NoDevice(
            "see the warning above; use --out FILE.wav to render instead".into(),
        ));
    }
    player.announce(playlist, Instant::now());
    let longest = Duration::from_secs_f64(super::render::seconds(samples.len()) + 10.0);
    player.wait_idle(longest);
    player.finish();
    Ok(())
}

/// The lines `--text` prints: one per configured language.
pub fn say_text(settings: &AudioSettings, number: &str, counter: u32) -> Vec<String> {
    settings
        .languages
        .iter()
        .filter_map(|l| Lang::parse(l))
        .map(|lang| super::playlist::text(settings, number, counter, lang))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines() {
        let settings = AudioSettings {
            languages: vec!["vi".into(), "en".into()],
            ..AudioSettings::default()
        };
        assert_eq!(
            say_text(&settings, "1005", 3),
            [
                "Mời công dân có số thứ tự một nghìn không trăm linh năm đến quầy số ba",
                "Ticket number one thousand and five, please go to counter three",
            ]
        );
    }

    #[test]
    fn out_writes_a_wav() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("say.wav");
        say(
            &AudioSettings::default(),
            "A005",
            2,
            "en",
            Some(&out),
            false,
        )
        .unwrap();
        let reader = hound::WavReader::open(&out).unwrap();
        assert_eq!(reader.spec().sample_rate, super::super::clips::RATE);
        assert!(reader.duration() > super::super::clips::RATE);
    }

    #[test]
    fn unknown_language() {
        let err = say(&AudioSettings::default(), "1", 1, "fr", None, true).unwrap_err();
        assert!(err.to_string().contains("fr"));
    }
}
