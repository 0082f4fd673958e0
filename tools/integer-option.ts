/** A command-line integer within bounds: the value, or the usage message naming the option. */
export function integerOption(text: string | undefined, name: string, minimum: number, maximum: number): number | string {
  const value = Number(text);
  return Number.isInteger(value) && value >= minimum && value <= maximum ? value : `--${name} must be an integer from ${minimum} to ${maximum}`;
}
