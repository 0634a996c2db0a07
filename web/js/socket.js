// The WebSocket to the hub: heartbeat, reconnection with backoff, catch-up, and an outbox of
// unacknowledged messages that survives reloads and is re-sent with the same cid.

const HEARTBEAT_MISSES = 2;

export class HubSocket {
  constructor({ token, userId, heartbeatSecs, onFrame, onStatus, cursors }) {
    this.token = token;
    this.heartbeatMs = Math.max(1, heartbeatSecs) * 1000;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.cursors = cursors;
    this.outboxKey = `natter_outbox_${userId}`;
    this.attempt = 0;
    this.closed = false;
    window.addEventListener('offline', () => this.drop());
    window.addEventListener('online', () => this.reconnectSoon(0));
  }

  /** Messages sent but not yet acknowledged, by cid. */
  get outbox() {
    try { return JSON.parse(localStorage.getItem(this.outboxKey)) ?? {}; } catch { return {}; }
  }

  set outbox(value) {
    localStorage.setItem(this.outboxKey, JSON.stringify(value));
  }

  connect() {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onStatus(true);
      this.lastHeard = Date.now();
      this.send({ cmd: 30, cursors: this.cursors() });
      for (const frame of Object.values(this.outbox)) this.send(frame);
      this.startHeartbeat();
    };
    ws.onmessage = (event) => {
      this.lastHeard = Date.now();
      const frame = JSON.parse(event.data);
      if (frame.cmd === 20) this.forget(frame.cid);
      this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.onStatus(false);
      this.reconnectSoon();
    };
  }

  /** Sends a chat message, keeping it in the outbox until the hub acknowledges it. */
  sendMessage(frame) {
    this.outbox = { ...this.outbox, [frame.cid]: frame };
    this.send(frame);
  }

  forget(cid) {
    const outbox = this.outbox;
    if (cid in outbox) {
      delete outbox[cid];
      this.outbox = outbox;
    }
  }

  send(frame) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastHeard > this.heartbeatMs * HEARTBEAT_MISSES) this.drop();
      else this.send({ cmd: 0 });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.timer);
  }

  /** Gives up on the current connection (dead or offline) and schedules a new one. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    this.onStatus(false);
    this.reconnectSoon();
  }

  reconnectSoon(delay) {
    clearTimeout(this.retry);
    if (this.closed) return;
    const backoff = delay ?? Math.min(15000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.retry = setTimeout(() => {
      if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
      this.connect();
    }, backoff);
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.stopHeartbeat();
    this.ws?.close();
  }
}
