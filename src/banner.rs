//! What the daemon prints on stdout once it listens: the first line is what scripts and
//! tests wait for (`xephang listening on http://ADDR`); then every screen's URL, with the
//! demo's device tokens, for the person who started it.

use std::net::SocketAddr;

use crate::config::{Config, DeviceRole, DeviceSpec};

/// The first line is what scripts and tests wait for; then the screens, for people.
pub fn print_urls(config: &Config, addr: SocketAddr, scheme: &str) {
    print!("{}", urls(config, addr, scheme));
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

fn urls(config: &Config, addr: SocketAddr, scheme: &str) -> String {
    let base = format!("{scheme}://{addr}");
    // Only devices whose token the file holds (not a `token_sha256` one) can be shown.
    let shown = |d: &&DeviceSpec| !d.token.is_empty();
    let query = |d: &DeviceSpec| format!("?token={}", d.token);
    let token = |role: DeviceRole| {
        config
            .devices
            .iter()
            .filter(shown)
            .find(|d| d.role == role)
            .map(query)
            .unwrap_or_default()
    };
    let displays = || {
        config
            .devices
            .iter()
            .filter(shown)
            .filter(|d| d.role == DeviceRole::Display)
    };
    // The lobby board: a display that is not a counter's own, else any display.
    let board = displays()
        .find(|d| d.counter.is_none())
        .or_else(|| displays().next())
        .map(query)
        .unwrap_or_default();
    // A counter display: one that has its counter, else any display on the first counter.
    let first_counter = config.spec.counters.first().map_or(1, |c| c.id.0);
    let (display_counter, display) = displays()
        .find_map(|d| d.counter.map(|c| (c.0, query(d))))
        .unwrap_or((first_counter, board.clone()));
    let rating = config
        .devices
        .iter()
        .filter(shown)
        .find(|d| d.role == DeviceRole::Rating)
        .map(|d| (d.counter.map_or(1, |c| c.0), query(d)));
    let mut out = format!("xephang listening on {base}\n");
    out.push_str(&format!("  Danh sách màn hình / Screens:      {base}/\n"));
    out.push_str(&format!(
        "  Bảng gọi số / Lobby board:         {base}/board{board}\n"
    ));
    out.push_str(&format!(
        "  Màn hình quầy / Counter display:   {base}/display/{display_counter}{display}\n"
    ));
    out.push_str(&format!(
        "  Kiosk lấy số / Ticket kiosk:       {base}/kiosk{}\n",
        token(DeviceRole::Kiosk)
    ));
    out.push_str(&format!(
        "  Cán bộ một cửa / Clerk terminal:   {base}/clerk\n"
    ));
    if let Some((n, t)) = rating {
        out.push_str(&format!(
            "  Đánh giá / Rating tablet:          {base}/rating/{n}{t}\n"
        ));
    }
    out.push_str(&format!(
        "  Giám sát / Supervisor:             {base}/supervisor{}\n",
        token(DeviceRole::Supervisor)
    ));
    out.push_str(&format!(
        "  Quản trị / Administration:         {base}/admin{}\n",
        token(DeviceRole::Supervisor)
    ));
    out.push_str(&format!(
        "  Giọng đọc / Voice studio:          {base}/voice{}\n",
        token(DeviceRole::Supervisor)
    ));
    out.push_str(&format!(
        "  Đặt lịch hẹn / Book appointment:   {base}/book\n"
    ));
    out.push_str(&format!(
        "  Lấy số từ xa / Ticket from home:   {base}/t/new\n"
    ));
    out.push_str(&format!(
        "  Phiếu trên điện thoại / Phone:     {base}/t/<ticket id> (QR on each ticket)\n"
    ));
    out.push_str(&format!(
        "  API: {base}/api/v1/state · {base}/healthz · WebSocket {}/ws\n",
        base.replacen("http", "ws", 1)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::CounterId;

    fn display(name: &str, token: &str, counter: Option<u32>) -> DeviceSpec {
        DeviceSpec {
            name: name.into(),
            role: DeviceRole::Display,
            token: token.into(),
            token_sha256: token.is_empty().then(|| "0".repeat(64)),
            counter: counter.map(CounterId),
            printer: None,
        }
    }

    /// A display added on the admin page (its token not in the file) is never printed, the
    /// board is a display without a counter, the counter display one with its counter.
    #[test]
    fn the_banner_shows_only_tokens_it_has_each_on_its_own_screen() {
        let mut config = crate::config::parse(crate::config::DEFAULT_TOML, "demo").expect("demo");
        config.devices.retain(|d| d.role != DeviceRole::Display);
        config.devices.splice(
            0..0,
            [
                display("added on the admin page", "", None),
                display("above counter 3", "counter-three-display-token", Some(3)),
                display("lobby", "lobby-board-display-token", None),
            ],
        );
        let text = urls(&config, "127.0.0.1:8080".parse().expect("addr"), "http");
        assert!(
            !text.contains("token=\n") && !text.contains("token= "),
            "{text}"
        );
        assert!(
            text.contains("/board?token=lobby-board-display-token\n"),
            "{text}"
        );
        assert!(
            text.contains("/display/3?token=counter-three-display-token\n"),
            "{text}"
        );
    }
}
