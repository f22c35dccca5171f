/**
 * The `graphql` tag the Relay fragments here are written with. relay-compiler finds them by the tag's name
 * and compiles them from the source text; in an app, babel-plugin-relay would replace each with its
 * artifact. Here the tag only keeps the text, so that these modules type-check as they are.
 */
export const graphql = (strings: TemplateStringsArray): string => strings.raw.join("");
