/**
 * IBM code page 437, the zip format's default name encoding when the UTF-8 flag is clear (APPNOTE
 * appendix D). Bytes below 0x80 are ASCII; control bytes stay control characters so name checks see them.
 */

/** The characters of bytes 0x80-0xFF. */
const HIGH_HALF =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** Decodes `bytes` as CP437. */
export function decodeCp437(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte < 0x80 ? String.fromCharCode(byte) : (HIGH_HALF[byte - 0x80] ?? '');
  return text;
}
