/**
 * Mutation.publish (NONE data source): echoes {owner, data}, which AppSync then
 * fans out to the `subscribe` subscribers whose filter matches `owner`.
 * Only IAM callers (the publish Lambda's role) reach it: see schema.graphql.
 */
export function request(ctx) {
    return { payload: { owner: ctx.args.owner, data: ctx.args.data } };
}

export function response(ctx) {
    return ctx.result;
}
