/**
 * Draws a code as a QR on a canvas with the `qrcode` package's browser build: one alphanumeric segment
 * at error-correction level M (a holder code is 122 characters, version 5; a static ticket code up to
 * 174, version 7), square modules drawn at a whole number of pixels so a camera reads it crisply.
 */
import QRCode from 'qrcode';

const MODULE_PIXELS = 8;

export async function drawQr(canvas: HTMLCanvasElement, text: string): Promise<void> {
  await QRCode.toCanvas(canvas, [{ data: text, mode: 'alphanumeric' }], {
    errorCorrectionLevel: 'M',
    margin: 4,
    scale: MODULE_PIXELS,
    color: { dark: '#000000ff', light: '#ffffffff' },
  });
}
