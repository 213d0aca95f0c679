/** Shows enough of a secret to tell two apart, never enough to use it. */
export function maskSecret(value: string): string {
  if (value.length <= 12) return '***';
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}
