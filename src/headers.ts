/*
 * A request header as Node hands it over: absent, one value, or several when the header was sent
 * more than once. Settings read from headers take the first, everywhere, so two readers of one
 * header can never disagree.
 */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
