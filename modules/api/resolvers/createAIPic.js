/**
 * Mutation.createAIPic: pipeline resolver (before/after step).
 * Pipeline: validatePrompt (NONE) -> enforceQuota (DynamoDB) -> putPic (DynamoDB)
 *           -> invokeGenerate (Lambda, asynchronous) -> the stored item.
 */
import { util } from '@aws-appsync/utils';

// modules/api rewrites this line with var.daily_picture_quota (AppSync has no
// environment variables in provider 5.x): keep it a single integer literal.
const DAILY_PICTURE_QUOTA = 25;

export function request(ctx) {
    if (!ctx.identity || !ctx.identity.sub) {
        util.unauthorized();
    }
    ctx.stash.dailyPictureQuota = DAILY_PICTURE_QUOTA;
    return {};
}

export function response(ctx) {
    return ctx.prev.result;
}
