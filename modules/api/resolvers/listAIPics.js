/**
 * Query.listAIPics (DynamoDB, pics table): the caller's own pictures, newest
 * first, one page at a time. A Query on the byOwner index keyed by the caller's
 * sub: never a Scan, and no argument can name another owner.
 */
import { util } from '@aws-appsync/utils';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export function request(ctx) {
    if (!ctx.identity || !ctx.identity.sub) {
        util.unauthorized();
    }
    const limit = ctx.args.limit === null || ctx.args.limit === undefined ? DEFAULT_PAGE_SIZE : ctx.args.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        util.error(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`, 'ValidationError', null, {
            field: 'limit',
        });
    }
    const query = {
        operation: 'Query',
        index: 'byOwner',
        query: {
            expression: '#owner = :owner',
            expressionNames: { '#owner': 'owner' },
            expressionValues: util.dynamodb.toMapValues({ ':owner': ctx.identity.sub }),
        },
        scanIndexForward: false,
        limit: limit,
    };
    if (ctx.args.nextToken) {
        query.nextToken = ctx.args.nextToken;
    }
    return query;
}

export function response(ctx) {
    if (ctx.error) {
        util.error(ctx.error.message, ctx.error.type);
    }
    return { items: ctx.result.items, nextToken: ctx.result.nextToken ? ctx.result.nextToken : null };
}
