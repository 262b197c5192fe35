/**
 * The driver-side rule for volume names: a name that could climb out of, or
 * reach below, the driver's directory is refused before it meets a path.
 * Returns why the name is refused, or undefined when it is acceptable.
 */
export function invalidVolumeNameReason(name: string): string | undefined {
  if (name === '') return 'volume name is empty';
  if (name.includes('..')) return `invalid volume name: ${JSON.stringify(name)} contains ".."`;
  if (name.includes('/')) return `invalid volume name: ${JSON.stringify(name)} contains "/"`;
  if (name.includes('\\')) return `invalid volume name: ${JSON.stringify(name)} contains "\\"`;
  if (name.includes('\0')) return `invalid volume name: ${JSON.stringify(name)} contains a NUL character`;
  return undefined;
}
