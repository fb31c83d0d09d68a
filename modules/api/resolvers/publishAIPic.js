/**
 * Mutation.publishAIPic (NONE data source): echoes the picture, which AppSync then fans
 * out to the `onAIPicChange` subscribers whose filter matches its owner. Only IAM
 * callers (the publish Lambda's role) reach it: see schema.graphql.
 */
export function request(ctx) {
    return { payload: ctx.args.pic };
}

export function response(ctx) {
    return ctx.result;
}
