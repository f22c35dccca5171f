// graphql-ws publishes `graphql-ws/use/ws` through package exports only, which this repository's
// moduleResolution ("node") does not read; Node resolves it at run time. Its types, by their file.
declare module "graphql-ws/use/ws" {
  export * from "graphql-ws/dist/use/ws";
}
