// The WebSocket to the hub: connects with the token, sends a heartbeat (cmd 0), notices a dead
// connection, and reconnects with exponential backoff and jitter. It knows nothing about chat:
// chat.js listens to its events.
//
// Events: 'open', 'frame' {frame}, 'state' {state: 'connecting'|'online'|'offline', retryAt}.

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 20000;

export class HubSocket extends EventTarget {
  /**
   * `heartbeatMs`: how often a heartbeat goes out; `deadMs`: silence after which the connection
   * counts as dead (the hub answers every heartbeat, so this is never hit on a live link).
   */
  constructor({ token, heartbeatMs, deadMs }) {
    super();
    this.token = token;
    this.heartbeatMs = heartbeatMs;
    this.deadMs = deadMs;
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.state = 'connecting';
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop('offline');
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/ws?token=${encodeURIComponent(this.token)}`;
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.lastHeard = Date.now();
      this.startHeartbeat();
      this.setState('online');
      this.dispatchEvent(new CustomEvent('open'));
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.lastHeard = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent('frame', { detail: { frame } }));
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      this.scheduleReconnect();
    };
  }

  get isOpen() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a frame if the connection is open; returns whether it went out. */
  send(frame) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > this.deadMs) this.drop('dead');
      else this.send({ cmd: 0 });
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
  }

  /** Gives up on the current connection (dead, offline, or an ack that never came) and retries. */
  drop(reason) {
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close(4000, reason);
      } catch {
        /* already closing */
      }
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('offline');
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Retries at once (the browser came back online, or the user asked). */
  reconnectNow() {
    if (this.stopped || this.isOpen || this.ws?.readyState === WebSocket.CONNECTING) return;
    this.attempt = 0;
    this.connect();
  }

  setState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, retryAt: this.retryAt } }));
  }

  /** Closes for good (sign out). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'signed out');
  }
}
