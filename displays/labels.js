// xephang labels: the words every screen uses for the lobby's states, in one place (issue 13,
// knot 5) — ticket statuses, counter states, rating levels, priority classes and alert kinds,
// each as [Vietnamese, English]. Pages show them with client.js's L(...) or bi(...); none
// keeps a copy of its own. A new status or kind gets its words here, once.

/** A ticket's status, as staff screens list it. */
export const TICKET_STATUS = {
  waiting: ['đang chờ', 'waiting'],
  called: ['đang phục vụ', 'at a counter'],
  done: ['đã xong', 'served'],
  no_show: ['vắng mặt', 'no-show'],
  transferred: ['đã chuyển', 'transferred'],
  cancelled: ['đã hủy', 'cancelled'],
  expired: ['hết hiệu lực', 'expired'],
};

/** A ticket's status as its holder's phone page says it (a whole line, to the citizen). */
export const TICKET_STATUS_CITIZEN = {
  waiting: ['Đang chờ đến lượt', 'Waiting for your turn'],
  called: ['Đã đến lượt — mời đến quầy', 'Called — please go to the counter'],
  done: ['Đã phục vụ xong', 'Served'],
  no_show: ['Vắng mặt khi được gọi', 'Missed: you were not there when called'],
  transferred: ['Đã chuyển lĩnh vực', 'Transferred'],
  cancelled: ['Đã hủy', 'Cancelled'],
  expired: ['Hết hiệu lực', 'Expired'],
};

/** A counter's state. */
export const COUNTER_STATUS = {
  open: ['Mở', 'Open'],
  paused: ['Tạm dừng', 'Paused'],
  closed: ['Đóng', 'Closed'],
};

/** The four levels of satisfaction, best first (faces.js draws them). */
export const RATING_LEVELS = [
  { score: 4, vi: 'Rất hài lòng', en: 'Very satisfied' },
  { score: 3, vi: 'Hài lòng', en: 'Satisfied' },
  { score: 2, vi: 'Bình thường', en: 'Neutral' },
  { score: 1, vi: 'Không hài lòng', en: 'Dissatisfied' },
];

/** The priority class of checked-in appointments (not in the centre's configuration). */
export const APPOINTMENT = 'appointment';
export const APPOINTMENT_LABEL = ['Lịch hẹn', 'Appointment'];

/** [vi, en] of priority class `id` among the snapshot's `priorities`; null for none. */
export function priorityLabel(id, priorities = []) {
  if (!id) return null;
  if (id === APPOINTMENT) return APPOINTMENT_LABEL;
  const p = priorities.find((x) => x.id === id);
  return p ? [p.name, p.name_en || p.name] : [id, id];
}

/** What an alert is about, in a few words (the province's list; the dashboard's rows say
 * more, with the counter, device or printer named). */
export const ALERT_KINDS = {
  ticket_overdue: ['Phiếu chờ quá hạn', 'Ticket overdue'],
  counter_paused: ['Quầy tạm dừng lâu', 'Counter paused'],
  service_unstaffed: ['Lĩnh vực không có quầy mở', 'Service unstaffed'],
  printer_paper_low: ['Máy in sắp hết giấy', 'Printer low on paper'],
  printer_paper_out: ['Máy in hết giấy', 'Printer out of paper'],
  printer_offline: ['Máy in không in được', 'Printer cannot print'],
  device_offline: ['Thiết bị mất kết nối', 'Device offline'],
  audio_blocked: ['Trình duyệt chặn âm thanh', 'Sound blocked'],
};

/** The [vi, en] of `key` in one of the maps above; the key itself when it has none. */
export const label = (map, key) => map[key] || [key, key];
