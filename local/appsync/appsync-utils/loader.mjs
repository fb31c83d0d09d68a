// Node module-resolution hook (registered by harness.mjs): the resolvers import
// '@aws-appsync/utils', which only AppSync's runtime provides; point it at this
// folder's test implementation. Other '@aws-appsync/utils/*' helpers (e.g.
// '/dynamodb') are not implemented: our resolvers write their requests by hand.
const REPLACEMENTS = {
    '@aws-appsync/utils': new URL('./index.mjs', import.meta.url).href,
};

export async function resolve(specifier, context, nextResolve) {
    const replacement = REPLACEMENTS[specifier];
    if (replacement) {
        return { url: replacement, shortCircuit: true };
    }
    if (specifier.startsWith('@aws-appsync/')) {
        throw new Error(`${specifier} is not provided by the test runtime`);
    }
    return nextResolve(specifier, context);
}
