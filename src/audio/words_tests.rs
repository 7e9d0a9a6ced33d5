//! Table tests of the number reading (issue 4: every example of the issue, all of 0–120,
//! 1000–1025, 2024, 9999, 10000 and 12345, in both dialects) and of English and ticket numbers.

use super::*;

/// Northern reading (`bac`), written out by hand-checked rule; the Southern table is this one
/// with exactly two words changed (nghìn → ngàn, linh → lẻ), checked word by word below.
const BAC: &[(u32, &str)] = &[
    (0, "không"),
    (1, "một"),
    (2, "hai"),
    (3, "ba"),
    (4, "bốn"),
    (5, "năm"),
    (6, "sáu"),
    (7, "bảy"),
    (8, "tám"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (12, "mười hai"),
    (13, "mười ba"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (16, "mười sáu"),
    (17, "mười bảy"),
    (18, "mười tám"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (22, "hai mươi hai"),
    (23, "hai mươi ba"),
    (24, "hai mươi bốn"),
    (25, "hai mươi lăm"),
    (26, "hai mươi sáu"),
    (27, "hai mươi bảy"),
    (28, "hai mươi tám"),
    (29, "hai mươi chín"),
    (30, "ba mươi"),
    (31, "ba mươi mốt"),
    (32, "ba mươi hai"),
    (33, "ba mươi ba"),
    (34, "ba mươi bốn"),
    (35, "ba mươi lăm"),
    (36, "ba mươi sáu"),
    (37, "ba mươi bảy"),
    (38, "ba mươi tám"),
    (39, "ba mươi chín"),
    (40, "bốn mươi"),
    (41, "bốn mươi mốt"),
    (42, "bốn mươi hai"),
    (43, "bốn mươi ba"),
    (44, "bốn mươi bốn"),
    (45, "bốn mươi lăm"),
    (46, "bốn mươi sáu"),
    (47, "bốn mươi bảy"),
    (48, "bốn mươi tám"),
    (49, "bốn mươi chín"),
    (50, "năm mươi"),
    (51, "năm mươi mốt"),
    (52, "năm mươi hai"),
    (53, "năm mươi ba"),
    (54, "năm mươi bốn"),
    (55, "năm mươi lăm"),
    (56, "năm mươi sáu"),
    (57, "năm mươi bảy"),
    (58, "năm mươi tám"),
    (59, "năm mươi chín"),
    (60, "sáu mươi"),
    (61, "sáu mươi mốt"),
    (62, "sáu mươi hai"),
    (63, "sáu mươi ba"),
    (64, "sáu mươi bốn"),
    (65, "sáu mươi lăm"),
    (66, "sáu mươi sáu"),
    (67, "sáu mươi bảy"),
    (68, "sáu mươi tám"),
    (69, "sáu mươi chín"),
    (70, "bảy mươi"),
    (71, "bảy mươi mốt"),
    (72, "bảy mươi hai"),
    (73, "bảy mươi ba"),
    (74, "bảy mươi bốn"),
    (75, "bảy mươi lăm"),
    (76, "bảy mươi sáu"),
    (77, "bảy mươi bảy"),
    (78, "bảy mươi tám"),
    (79, "bảy mươi chín"),
    (80, "tám mươi"),
    (81, "tám mươi mốt"),
    (82, "tám mươi hai"),
    (83, "tám mươi ba"),
    (84, "tám mươi bốn"),
    (85, "tám mươi lăm"),
    (86, "tám mươi sáu"),
    (87, "tám mươi bảy"),
    (88, "tám mươi tám"),
    (89, "tám mươi chín"),
    (90, "chín mươi"),
    (91, "chín mươi mốt"),
    (92, "chín mươi hai"),
    (93, "chín mươi ba"),
    (94, "chín mươi bốn"),
    (95, "chín mươi lăm"),
    (96, "chín mươi sáu"),
    (97, "chín mươi bảy"),
    (98, "chín mươi tám"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (102, "một trăm linh hai"),
    (103, "một trăm linh ba"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (106, "một trăm linh sáu"),
    (107, "một trăm linh bảy"),
    (108, "một trăm linh tám"),
    (109, "một trăm linh chín"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (112, "một trăm mười hai"),
    (113, "một trăm mười ba"),
    (114, "một trăm mười bốn"),
    (115, "một trăm mười lăm"),
    (116, "một trăm mười sáu"),
    (117, "một trăm mười bảy"),
    (118, "một trăm mười tám"),
    (119, "một trăm mười chín"),
    (120, "một trăm hai mươi"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1002, "một nghìn không trăm linh hai"),
    (1003, "một nghìn không trăm linh ba"),
    (1004, "một nghìn không trăm linh bốn"),
    (1005, "một nghìn không trăm linh năm"),
    (1006, "một nghìn không trăm linh sáu"),
    (1007, "một nghìn không trăm linh bảy"),
    (1008, "một nghìn không trăm linh tám"),
    (1009, "một nghìn không trăm linh chín"),
    (1010, "một nghìn không trăm mười"),
    (1011, "một nghìn không trăm mười một"),
    (1012, "một nghìn không trăm mười hai"),
    (1013, "một nghìn không trăm mười ba"),
    (1014, "một nghìn không trăm mười bốn"),
    (1015, "một nghìn không trăm mười lăm"),
    (1016, "một nghìn không trăm mười sáu"),
    (1017, "một nghìn không trăm mười bảy"),
    (1018, "một nghìn không trăm mười tám"),
    (1019, "một nghìn không trăm mười chín"),
    (1020, "một nghìn không trăm hai mươi"),
    (1021, "một nghìn không trăm hai mươi mốt"),
    (1022, "một nghìn không trăm hai mươi hai"),
    (1023, "một nghìn không trăm hai mươi ba"),
    (1024, "một nghìn không trăm hai mươi bốn"),
    (1025, "một nghìn không trăm hai mươi lăm"),
    (1100, "một nghìn một trăm"),
    (2024, "hai nghìn không trăm hai mươi bốn"),
    (9999, "chín nghìn chín trăm chín mươi chín"),
    (10000, "mười nghìn"),
    (12345, "mười hai nghìn ba trăm bốn mươi lăm"),
];

fn read(n: u32, dialect: Dialect, tu: bool) -> String {
    text(&number_words(n, Lang::Vi, dialect, tu))
}

fn to_nam(bac: &str) -> String {
    bac.split(' ')
        .map(|w| match w {
            "nghìn" => "ngàn",
            "linh" => "lẻ",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn table_bac() {
    for &(n, want) in BAC {
        assert_eq!(read(n, Dialect::Bac, false), want, "{n} (bac)");
    }
}

#[test]
fn table_nam() {
    for &(n, bac) in BAC {
        assert_eq!(read(n, Dialect::Nam, false), to_nam(bac), "{n} (nam)");
    }
}

#[test]
fn table_covers_the_required_ranges() {
    let have: Vec<u32> = BAC.iter().map(|(n, _)| *n).collect();
    let need = (0..=120)
        .chain(1000..=1025)
        .chain([1100, 2024, 9999, 10000, 12345]);
    for n in need {
        assert!(have.contains(&n), "{n} missing from the table");
    }
}

#[test]
fn examples_of_the_issue() {
    let bac = |n| read(n, Dialect::Bac, false);
    let nam = |n| read(n, Dialect::Nam, false);
    let tu = |n| read(n, Dialect::Bac, true);
    assert_eq!(bac(21), "hai mươi mốt");
    assert_eq!(bac(11), "mười một");
    assert_eq!(bac(15), "mười lăm");
    assert_eq!(bac(25), "hai mươi lăm");
    assert_eq!(bac(105), "một trăm linh năm");
    assert_eq!(nam(105), "một trăm lẻ năm");
    assert_eq!(bac(24), "hai mươi bốn");
    assert_eq!(tu(24), "hai mươi tư");
    assert_eq!(tu(14), "mười bốn");
    assert_eq!(tu(4), "bốn");
    assert_eq!(tu(104), "một trăm linh bốn");
    assert_eq!(tu(2024), "hai nghìn không trăm hai mươi tư");
    assert_eq!(tu(24_000), "hai mươi tư nghìn");
    assert_eq!(bac(101), "một trăm linh một");
    assert_eq!(nam(101), "một trăm lẻ một");
    assert_eq!(bac(1005), "một nghìn không trăm linh năm");
    assert_eq!(nam(1005), "một ngàn không trăm lẻ năm");
    assert_eq!(bac(1010), "một nghìn không trăm mười");
    assert_eq!(bac(1021), "một nghìn không trăm hai mươi mốt");
    assert_eq!(bac(10), "mười");
    assert_eq!(bac(20), "hai mươi");
    assert_eq!(bac(110), "một trăm mười");
    assert_eq!(bac(1100), "một nghìn một trăm");
    assert_eq!(nam(1100), "một ngàn một trăm");
    assert_eq!(bac(9999), "chín nghìn chín trăm chín mươi chín");
    assert_eq!(bac(10_000), "mười nghìn");
    assert_eq!(nam(12_345), "mười hai ngàn ba trăm bốn mươi lăm");
    assert_eq!(bac(21_000), "hai mươi mốt nghìn");
    assert_eq!(bac(15_015), "mười lăm nghìn không trăm mười lăm");
    assert_eq!(bac(99_999), "chín mươi chín nghìn chín trăm chín mươi chín");
    assert_eq!(bac(100_001), "một không không không không một");
}

#[test]
fn clips_match_words() {
    for dialect in [Dialect::Bac, Dialect::Nam] {
        for tu in [false, true] {
            let clips = number_clips(Lang::Vi, dialect, tu);
            for n in 0..=MAX_NUMBER {
                for word in number_words(n, Lang::Vi, dialect, tu) {
                    assert!(clips.contains(&word.clip), "{n}: {} not listed", word.clip);
                }
            }
        }
    }
    let clips = number_clips(Lang::En, Dialect::Bac, false);
    for n in 0..=MAX_NUMBER {
        for word in number_words(n, Lang::En, Dialect::Bac, false) {
            assert!(clips.contains(&word.clip), "{n}: {} not listed", word.clip);
        }
    }
}

#[test]
fn english() {
    let en = |n| text(&number_words(n, Lang::En, Dialect::Bac, false));
    assert_eq!(en(0), "zero");
    assert_eq!(en(3), "three");
    assert_eq!(en(15), "fifteen");
    assert_eq!(en(21), "twenty-one");
    assert_eq!(en(100), "one hundred");
    assert_eq!(en(105), "one hundred and five");
    assert_eq!(en(120), "one hundred and twenty");
    assert_eq!(en(1000), "one thousand");
    assert_eq!(en(1005), "one thousand and five");
    assert_eq!(en(1100), "one thousand one hundred");
    assert_eq!(en(1234), "one thousand two hundred and thirty-four");
    assert_eq!(en(2024), "two thousand and twenty-four");
    assert_eq!(en(9999), "nine thousand nine hundred and ninety-nine");
    assert_eq!(en(10_000), "ten thousand");
    assert_eq!(en(12_345), "twelve thousand three hundred and forty-five");
    assert_eq!(
        en(99_999),
        "ninety-nine thousand nine hundred and ninety-nine"
    );
}

#[test]
fn ticket_numbers() {
    let vi = |s| text(&ticket_words(s, Lang::Vi, Dialect::Bac, false));
    let en = |s| text(&ticket_words(s, Lang::En, Dialect::Bac, false));
    assert_eq!(vi("1005"), "một nghìn không trăm linh năm");
    assert_eq!(vi("A005"), "A năm");
    assert_eq!(vi("b120"), "B một trăm hai mươi");
    assert_eq!(vi("AB-0105"), "A B một trăm linh năm");
    assert_eq!(vi("A000"), "A không");
    assert_eq!(vi(""), "");
    assert_eq!(vi("123456"), "một hai ba bốn năm sáu");
    assert_eq!(en("A005"), "A five");
    let clips: Vec<_> = ticket_words("Z9", Lang::Vi, Dialect::Bac, false)
        .iter()
        .map(|w| w.clip)
        .collect();
    assert_eq!(clips, ["letter_z", "chin"]);
}

#[test]
fn never_panics_on_odd_input() {
    for s in ["", "-", "ÀÁ", "99999999999999999999", "0", "Đ12", "1 2 3"] {
        let _ = ticket_words(s, Lang::Vi, Dialect::Nam, true);
        let _ = ticket_words(s, Lang::En, Dialect::Bac, false);
    }
}

/// The reading table said by a recorded voice (issue 17): with every required clip recorded
/// (and `audio.recorded = "complete"`), each number's announcement is made of recorded clips
/// only, each URL with its version, saying exactly the table's words.
#[test]
fn table_with_recorded_clips() {
    use crate::audio::clips::clip_text;
    use crate::audio::settings::AudioSettings;
    use crate::audio::Announcer;
    let dir = tempfile::tempdir().unwrap();
    let announcer = Announcer::new(&AudioSettings::default()).unwrap();
    let studio = crate::voice::Studio::open(dir.path(), announcer.clone(), ["A"], "Test");
    crate::voice::studio::tests::record_required(&studio);
    for (n, text) in BAC {
        let playlist = announcer.playlist(&n.to_string(), 1);
        let words: Vec<&String> = playlist
            .iter()
            .filter(|u| u.starts_with("/sounds/vi/"))
            .collect();
        assert!(
            words.iter().all(|u| u.contains(".wav?v=")),
            "{n}: {playlist:?}"
        );
        let said: Vec<String> = words
            .iter()
            .map(|u| {
                let clip = crate::audio::clip_path(u)
                    .trim_start_matches("vi/")
                    .trim_end_matches(".wav");
                clip_text(Lang::Vi, clip)
            })
            .collect();
        assert_eq!(
            said.join(" "),
            format!("Mời công dân có số thứ tự {text} đến quầy số một"),
            "{n}"
        );
        assert!(!announcer.samples(&playlist).is_empty());
    }
}
