/**
 * A copy of a string that does not keep the text it was cut from alive. V8 keeps a substring
 * of 13 characters or more (a timestamp, most ids) as a slice of its parent, so a piece kept
 * long (an id an import remembers, a field a card's state holds until its transaction commits)
 * would otherwise hold on to the whole chunk of file text it was read from.
 */
export function detached(text: string): string {
  return ` ${text}`.slice(1)
}
