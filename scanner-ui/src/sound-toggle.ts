/**
 * The "Sound on / Sound off" button in the status bar: mutes the verdict cues (sound.ts). Turning sound
 * on is a user gesture, so it also unlocks audio where the browser's autoplay rules require one.
 */
import type { VerdictSounds } from './sound';

export function listenForSoundToggle(button: HTMLButtonElement, sounds: VerdictSounds): void {
  button.addEventListener('click', () => {
    sounds.muted = !sounds.muted;
    button.setAttribute('aria-pressed', String(!sounds.muted));
    button.textContent = sounds.muted ? 'Sound off' : 'Sound on';
    if (!sounds.muted) sounds.unlock();
  });
}
