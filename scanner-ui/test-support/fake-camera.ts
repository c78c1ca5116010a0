/**
 * A camera picture for Chromium's fake capture device: one Y4M frame (4:2:0, which Chromium requires
 * with the plain `C420` tag) showing a QR code drawn with the `qrcode` package, on a grey background
 * so the decoder has to find it. Chromium loops the single frame.
 */
import { writeFile } from 'node:fs/promises';
import QRCode from 'qrcode';

export interface FakeCameraFrame {
  width?: number;
  height?: number;
  /** Pixels per QR module. */
  moduleSize?: number;
}

export async function writeQrY4m(path: string, text: string, frame: FakeCameraFrame = {}): Promise<void> {
  const width = frame.width ?? 640;
  const height = frame.height ?? 480;
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const modules = qr.modules.size;
  const quiet = 4;
  const scale = frame.moduleSize ?? Math.floor(Math.min(width, height) / (modules + 2 * quiet + 4));
  const side = (modules + 2 * quiet) * scale;
  if (scale < 2 || side > Math.min(width, height))
    throw new RangeError('QR does not fit the fake camera frame');
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);

  const luma = Buffer.alloc(width * height, 110); // mid-grey surroundings
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - quiet;
      const my = Math.floor(y / scale) - quiet;
      const dark = mx >= 0 && my >= 0 && mx < modules && my < modules && qr.modules.get(my, mx) === 1;
      luma[(top + y) * width + left + x] = dark ? 16 : 235;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420\n`, 'ascii');
  await writeFile(path, Buffer.concat([header, Buffer.from('FRAME\n', 'ascii'), luma, chroma]));
}
