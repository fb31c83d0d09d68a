/**
 * createAIPic step 2 (DynamoDB, pics table): counts the caller's picture for
 * today (UTC) in `quota#<sub>#<YYYY-MM-DD>` with one conditional atomic update,
 * so concurrent calls can never push the count past the limit.
 * The limit comes from createAIPic.js (ctx.stash.dailyPictureQuota).
 */
import { util } from '@aws-appsync/utils';

const SECONDS_PER_DAY = 86400;

export function request(ctx) {
    const limit = ctx.stash.dailyPictureQuota;
    if (!Number.isInteger(limit) || limit < 0) {
        util.error('The daily picture quota is not configured', 'InternalFailure');
    }
    const now = util.time.nowEpochSeconds();
    // Epoch seconds have no leap seconds, so this is exactly today's 00:00 UTC.
    const startOfDay = now - (now % SECONDS_PER_DAY);
    const day = util.time.epochMilliSecondsToISO8601(startOfDay * 1000).substring(0, 10);
    return {
        operation: 'UpdateItem',
        key: util.dynamodb.toMapValues({ id: `quota#${ctx.identity.sub}#${day}` }),
        update: {
            // The counter expires (table TTL) one day after its day ends.
            expression: 'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
            expressionNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
            expressionValues: util.dynamodb.toMapValues({
                ':one': 1,
                ':expiresAt': startOfDay + 2 * SECONDS_PER_DAY,
            }),
        },
        condition: {
            expression: 'attribute_not_exists(#count) OR #count < :limit',
            expressionNames: { '#count': 'count' },
            expressionValues: util.dynamodb.toMapValues({ ':limit': limit }),
        },
    };
}

export function response(ctx) {
    if (ctx.error) {
        if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
            util.error(
                `Daily picture quota of ${ctx.stash.dailyPictureQuota} reached; try again after midnight UTC`,
                'QuotaExceeded',
            );
        }
        util.error(ctx.error.message, ctx.error.type);
    }
    ctx.stash.picturesToday = ctx.result.count;
    return ctx.result;
}
