/**
 * Verdict sounds generated with WebAudio (no files, no requests): ACCEPT is a short rising two-note
 * chime, REJECT a low buzzing triple pulse — different in pitch, rhythm and timbre so a steward tells
 * them apart without looking, and so they stay distinct for people who cannot hear high pitches.
 */
import type { VerdictKind } from './verdict';

export interface Tone {
  frequency: number;
  /** Seconds from the start of the cue. */
  start: number;
  duration: number;
  type: OscillatorType;
}

export const CUES: Record<VerdictKind, readonly Tone[]> = {
  accept: [
    { frequency: 880, start: 0, duration: 0.09, type: 'sine' },
    { frequency: 1320, start: 0.1, duration: 0.14, type: 'sine' },
  ],
  reject: [
    { frequency: 220, start: 0, duration: 0.12, type: 'square' },
    { frequency: 220, start: 0.16, duration: 0.12, type: 'square' },
    { frequency: 220, start: 0.32, duration: 0.2, type: 'square' },
  ],
  error: [{ frequency: 440, start: 0, duration: 0.35, type: 'triangle' }],
};

export class VerdictSounds {
  private context: AudioContext | undefined;
  muted = false;

  /** Creates or resumes the audio context; call from a user gesture where autoplay rules apply. */
  unlock(): void {
    try {
      this.context ??= new AudioContext();
      if (this.context.state === 'suspended') void this.context.resume();
    } catch {
      // No audio device: the screen still shows the verdict.
    }
  }

  play(kind: VerdictKind): void {
    document.documentElement.dataset['lastCue'] = kind;
    if (this.muted) return;
    this.unlock();
    const context = this.context;
    if (!context) return;
    const t0 = context.currentTime + 0.01;
    for (const tone of CUES[kind]) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = tone.type;
      oscillator.frequency.value = tone.frequency;
      // Short ramps avoid clicks at the start and end of each note.
      const start = t0 + tone.start;
      const end = start + tone.duration;
      gain.gain.setValueAtTime(0, start);
      gain.gain.linearRampToValueAtTime(tone.type === 'square' ? 0.12 : 0.3, start + 0.01);
      gain.gain.setValueAtTime(tone.type === 'square' ? 0.12 : 0.3, end - 0.02);
      gain.gain.linearRampToValueAtTime(0, end);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(end + 0.01);
    }
  }
}
