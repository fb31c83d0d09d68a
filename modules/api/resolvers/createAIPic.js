/**
 * Mutation.createAIPic: pipeline resolver (before/after step).
 * Pipeline: validatePrompt (NONE) -> enforceQuota (DynamoDB)
 *           -> enforceGlobalCeiling (DynamoDB) -> putPic (DynamoDB)
 *           -> invokeGenerate (Lambda, asynchronous) -> the stored item.
 */
import { util } from '@aws-appsync/utils';

// modules/api rewrites these lines with var.daily_picture_quota and
// var.daily_picture_ceiling (AppSync has no environment variables in provider
// 5.x): keep each a single integer literal.
const DAILY_PICTURE_QUOTA = 25;
const DAILY_PICTURE_CEILING = 1000;

export function request(ctx) {
    if (!ctx.identity || !ctx.identity.sub) {
        util.unauthorized();
    }
    ctx.stash.dailyPictureQuota = DAILY_PICTURE_QUOTA;
    ctx.stash.dailyPictureCeiling = DAILY_PICTURE_CEILING;
    return {};
}

export function response(ctx) {
    return ctx.prev.result;
}
