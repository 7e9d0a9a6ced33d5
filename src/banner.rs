//! What the daemon prints on stdout once it listens: the first line is what scripts and
//! tests wait for (`xephang listening on http://ADDR`); then every screen's URL, with the
//! demo's device tokens, for the person who started it.

use std::net::SocketAddr;

use crate::config::{Config, DeviceRole};

/// The first line is what scripts and tests wait for; then the screens, for people.
pub fn print_urls(config: &Config, addr: SocketAddr, scheme: &str) {
    let base = format!("{scheme}://{addr}");
    let token = |role: DeviceRole| {
        config
            .devices
            .iter()
            .find(|d| d.role == role)
            .map(|d| format!("?token={}", d.token))
            .unwrap_or_default()
    };
    let rating = config
        .devices
        .iter()
        .find(|d| d.role == DeviceRole::Rating)
        .map(|d| (d.counter.map_or(1, |c| c.0), format!("?token={}", d.token)));
    let first_counter = config.spec.counters.first().map_or(1, |c| c.id.0);
    let mut out = format!("xephang listening on {base}\n");
    out.push_str(&format!("  Danh sách màn hình / Screens:      {base}/\n"));
    out.push_str(&format!(
        "  Bảng gọi số / Lobby board:         {base}/board{}\n",
        token(DeviceRole::Display)
    ));
    out.push_str(&format!(
        "  Màn hình quầy / Counter display:   {base}/display/{first_counter}{}\n",
        token(DeviceRole::Display)
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
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
