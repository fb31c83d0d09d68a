/**
 * createAIPic step 3 (DynamoDB, pics table): counts the picture against the
 * ceiling for all users today (UTC) in `quota#global#<YYYY-MM-DD>` with one
 * conditional atomic update, so concurrent calls can never push the day's total
 * past the ceiling: spend stays bounded however many accounts sign up.
 * The ceiling comes from createAIPic.js (ctx.stash.dailyPictureCeiling).
 *
 * It runs after enforceQuota on purpose: a caller over their own quota never
 * reaches this shared counter, so one account cannot use up everyone's day.
 */
import { util } from '@aws-appsync/utils';

const SECONDS_PER_DAY = 86400;

export function request(ctx) {
    const ceiling = ctx.stash.dailyPictureCeiling;
    if (!Number.isInteger(ceiling) || ceiling < 1) {
        util.error('The daily picture ceiling is not configured', 'InternalFailure');
    }
    const now = util.time.nowEpochSeconds();
    // Epoch seconds have no leap seconds, so this is exactly today's 00:00 UTC.
    const startOfDay = now - (now % SECONDS_PER_DAY);
    const day = util.time.epochMilliSecondsToISO8601(startOfDay * 1000).substring(0, 10);
    return {
        operation: 'UpdateItem',
        key: util.dynamodb.toMapValues({ id: `quota#global#${day}` }),
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
            expression: 'attribute_not_exists(#count) OR #count < :ceiling',
            expressionNames: { '#count': 'count' },
            expressionValues: util.dynamodb.toMapValues({ ':ceiling': ceiling }),
        },
    };
}

export function response(ctx) {
    if (ctx.error) {
        if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
            util.error(
                'The service has made as many pictures today as it can; try again after midnight UTC',
                'GlobalQuotaExceeded',
            );
        }
        util.error(ctx.error.message, ctx.error.type);
    }
    return ctx.result;
}
