/** Quotes a value for POSIX sh: inside single quotes nothing is special except the quote itself. */
export function shellQuote(value: string): string {
  if (value.includes('\u0000')) throw new Error('a shell word cannot contain NUL');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
