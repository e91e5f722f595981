// Playback with the Web Audio API: the whole sample is decoded once, and a pad plays
// a region of it, so moving chops needs no round trip to the server. One voice at a
// time, as the MPC program's pads (a new hit cuts the last one).

export class Player {
  constructor() {
    this.context = null;
    this.buffer = null;
    this.voice = null;
    this.region = null; // {start, end, startedAt, tag}
    this.onStop = () => {};
  }

  ensureContext() {
    if (!this.context) this.context = new AudioContext();
    return this.context;
  }

  async load(arrayBuffer) {
    this.stop();
    this.buffer = await this.ensureContext().decodeAudioData(arrayBuffer);
    return this.buffer;
  }

  // Play seconds [start, end) of the sample; tag names what plays (a pad number or "all").
  play(start, end, tag) {
    if (!this.buffer) return;
    const context = this.ensureContext();
    if (context.state === "suspended") context.resume();
    this.stop();
    const begin = Math.max(0, Math.min(start, this.buffer.duration));
    const length = Math.max(0, Math.min(end, this.buffer.duration) - begin);
    if (length <= 0) return;
    const voice = context.createBufferSource();
    voice.buffer = this.buffer;
    voice.connect(context.destination);
    voice.onended = () => {
      if (this.voice === voice) {
        this.voice = null;
        this.region = null;
        this.onStop(tag);
      }
    };
    voice.start(0, begin, length);
    this.voice = voice;
    this.region = { start: begin, end: begin + length, startedAt: context.currentTime, tag };
  }

  stop() {
    if (this.voice) {
      const voice = this.voice;
      const tag = this.region && this.region.tag;
      this.voice = null;
      this.region = null;
      try {
        voice.stop();
      } catch (ignored) {
        // already stopped
      }
      this.onStop(tag);
    }
  }

  get playing() {
    return this.voice !== null;
  }

  // Position in the sample, in seconds, of what plays now (null when silent).
  position() {
    if (!this.region || !this.context) return null;
    const position = this.region.start + (this.context.currentTime - this.region.startedAt);
    return Math.min(position, this.region.end);
  }
}
