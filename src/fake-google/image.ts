/**
 * The images image models answer with: a small PNG whose width:height is the requested
 * `imageConfig.aspectRatio`, so a test can check the ratio reached the backend by decoding the answer.
 */
import { crc32, deflateSync } from 'node:zlib';

/** A 1×1 transparent PNG, answered when no aspect ratio is asked for. */
export const tinyPng =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** The aspect ratios Gemini image models accept. */
export const supportedAspectRatios: readonly string[] = [
  '1:1',
  '2:3',
  '3:2',
  '3:4',
  '4:3',
  '4:5',
  '5:4',
  '9:16',
  '16:9',
  '21:9',
];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, checksum]);
}

/** A grey RGB PNG of exactly width × height pixels, base64. */
export function solidPng(width: number, height: number): string {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const row = Buffer.alloc(1 + width * 3, 0x80);
  row[0] = 0; // filter: none
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

/** The answered image: `W:H` pixels for a supported ratio, else the 1×1 PNG. */
export function imageFor(aspectRatio: string | undefined): string {
  if (aspectRatio === undefined || !supportedAspectRatios.includes(aspectRatio)) return tinyPng;
  const [width, height] = aspectRatio.split(':').map(Number);
  return solidPng(width!, height!);
}

/** Width and height read from a PNG's IHDR (for tests and clients that check the answer). */
export function pngSize(base64: string): { width: number; height: number } {
  const bytes = Buffer.from(base64, 'base64');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
